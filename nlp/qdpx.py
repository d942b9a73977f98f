"""Export a run as a REFI-QDA project (``.qdpx``) for NVivo, ATLAS.ti, MAXQDA or QualCoder.

The archive follows the REFI-QDA Project standard (QDA-XML 1.0, namespace
``urn:QDA-XML:project:1.0``): ``project.qde`` holds the codebook (one code per topic, under a
"Topics" folder and nested in its top-level theme when topics have a ``parent_id``; the codes
of ``codes.parquet`` under the codebook's name, ``parent->child`` nested), one case per
respondent (its participant attributes as text variables), one ``TextSource`` per input file,
and one ``PlainTextSelection`` per quote coded with its topic and its codes. Codings the tool made carry the ``MACHINE_USER`` as
``creatingUser``, so ``nlp.codings`` reads them back as the machine's. Each source's text is
stored as ``sources/<guid>.txt`` (UTF-8) and referenced as ``internal://<guid>.txt``.

Selections are character offsets into the decoded source text, ``Document.text``, which the
quotes' ``char_start``/``char_end`` index. That text is rebuilt from the raw folder with
``nlp.ingest`` (read-only); a raw file whose bytes changed since the run is refused, since its
offsets would point at the wrong words. GUIDs are uuid5 of stable ids, so exporting the same
run twice gives the same project.

Characters XML 1.0 forbids (``\x0b``, Word's soft line break, ``\x0c``, ``\x1b``, …) are
replaced by a space in every name, description and source text (``nlp.xmlsafe``): one
character for one, so every selection's offsets still point at the same words.
"""

from __future__ import annotations

import uuid
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from nlp.atomic import atomic_write
from nlp.codings import HIERARCHY_SEPARATOR, MACHINE_USER
from nlp.manifest import Manifest
from nlp.xmlsafe import xml_safe

__all__ = ["NAMESPACE", "QdpxSummary", "build_project_xml", "export_qdpx", "guid"]

NAMESPACE = "urn:QDA-XML:project:1.0"
_GUID_ROOT = uuid.uuid5(uuid.NAMESPACE_URL, "urn:interview-insights:qdpx")
# Zip entries carry a timestamp; a fixed one makes two exports of one run byte-identical.
_ZIP_TIME = (2020, 1, 1, 0, 0, 0)


def guid(kind: str, key: object) -> str:
    """Deterministic GUID of one object of the project, e.g. ``guid("topic", 3)``."""
    return str(uuid.uuid5(_GUID_ROOT, f"{kind}:{key}"))


@dataclass(frozen=True)
class QdpxSummary:
    """What an export wrote."""

    path: Path
    sources: int
    selections: int
    codes: int


def _q(tag: str) -> str:
    return f"{{{NAMESPACE}}}{tag}"


def _nested_codes(folder, names: Iterable[str]) -> None:
    """Codes named ``parent->child`` as a child code nested in its (codable) parent."""
    from lxml import etree

    created: dict[str, object] = {}
    for full in names:
        parts = [p.strip() for p in str(full).split(HIERARCHY_SEPARATOR)]
        for depth in range(1, len(parts) + 1):
            path = HIERARCHY_SEPARATOR.join(parts[:depth])
            if path not in created:
                parent = created[HIERARCHY_SEPARATOR.join(parts[: depth - 1])] if depth > 1 else folder
                created[path] = etree.SubElement(
                    parent, _q("Code"), guid=guid("code", path), name=xml_safe(parts[depth - 1]), isCodable="true"
                )


def _topic_codes(codes_el, quotes: pd.DataFrame, topics: pd.DataFrame, parents: pd.DataFrame | None) -> None:
    """The "Topics" folder: top-level themes as codes, their topics (sub-themes) nested inside."""
    from lxml import etree

    folder = etree.SubElement(codes_el, _q("Code"), guid=guid("folder", "topics"), name="Topics", isCodable="false")
    topic_ids = sorted({int(t) for t in topics["topic_id"]} | {int(t) for t in quotes["topic_id"]})
    rows = {int(r.topic_id): r for r in topics.itertuples()}
    parent_of = {
        int(r.topic_id): int(r.parent_id) for r in topics.itertuples()
        if "parent_id" in topics and not pd.isna(r.parent_id) and int(r.parent_id) != int(r.topic_id)
    }
    parent_labels = {int(p): str(label) for p, label in zip(parents["parent_id"], parents["label"])} if parents is not None else {}
    parent_els = {}
    for parent_id in sorted(set(parent_of.values())):
        label = parent_labels.get(parent_id, f"theme {parent_id}")
        parent_els[parent_id] = etree.SubElement(
            folder, _q("Code"), guid=guid("parent", parent_id), name=xml_safe(f"{parent_id}: {label}"), isCodable="true"
        )
    for topic_id in topic_ids:
        row = rows.get(topic_id)
        name = f"{topic_id}: {row.label}" if row is not None else f"{topic_id}: no topic (outlier)"
        code = etree.SubElement(
            parent_els.get(parent_of.get(topic_id), folder), _q("Code"), guid=guid("topic", topic_id),
            name=xml_safe(name), isCodable="true",
        )
        if row is not None:
            pinned = getattr(row, "label_source", "machine") == "researcher"
            description = ("Label pinned by the researcher. " if pinned else "") + "Keywords: " + ", ".join(row.keywords)
            etree.SubElement(code, _q("Description")).text = xml_safe(description)


def build_project_xml(
    name: str,
    sources: dict[str, str],
    quotes: pd.DataFrame,
    topics: pd.DataFrame,
    codes: pd.DataFrame | None = None,
    codebook_name: str = "Codebook",
    parents: pd.DataFrame | None = None,
    attributes: Sequence[str] = (),
) -> bytes:
    """``project.qde`` as UTF-8 bytes.

    Args:
        name: project name.
        sources: source file name -> its decoded text (the text offsets index).
        quotes: ``quotes.parquet`` rows: ``quote_id``, ``source_file``, ``section``,
            ``response_id``, ``text``, ``char_start``, ``char_end``, ``topic_id`` and, when
            present, ``respondent_id`` (one case per respondent).
        topics: ``topics.parquet`` rows: ``topic_id``, ``label``, ``keywords``; optional
            ``parent_id`` (nests the topic under its top-level theme) and ``label_source``.
        codes: optional ``codes.parquet`` rows: ``quote_id``, ``code``, optional ``source``
            (``human`` or ``machine``; codebook matches, without it, are the machine's).
        codebook_name: folder name for the codes.
        parents: optional top-level themes (``parent_id``, ``label``) naming the parent codes.
        attributes: quote columns holding participant attributes, exported as Variables.
    """
    from lxml import etree

    machine = guid("user", MACHINE_USER)
    root = etree.Element(_q("Project"), nsmap={None: NAMESPACE}, name=xml_safe(name), origin="interview-insights")
    etree.SubElement(etree.SubElement(root, _q("Users")), _q("User"), guid=machine, name=MACHINE_USER)
    codes_el = etree.SubElement(etree.SubElement(root, _q("CodeBook")), _q("Codes"))
    _topic_codes(codes_el, quotes, topics, parents)
    codes_by_quote: dict[str, list[tuple[str, bool]]] = {}
    if codes is not None and len(codes):
        folder = etree.SubElement(codes_el, _q("Code"), guid=guid("folder", codebook_name), name=xml_safe(codebook_name), isCodable="false")
        _nested_codes(folder, dict.fromkeys(codes["code"]))
        sources_of = codes["source"] if "source" in codes else pd.Series("machine", index=codes.index)
        for quote_id, code_name, source in zip(codes["quote_id"], codes["code"], sources_of):
            codes_by_quote.setdefault(str(quote_id), []).append((str(code_name), source != "human"))
    _cases(root, quotes, attributes)
    sources_el = etree.SubElement(root, _q("Sources"))
    for source_file, text in sources.items():
        source_guid = guid("source", source_file)
        source = etree.SubElement(
            sources_el, _q("TextSource"), guid=source_guid, name=xml_safe(source_file),
            plainTextPath=f"internal://{source_guid}.txt",
        )
        mine = quotes[quotes["source_file"] == source_file].sort_values(["char_start", "char_end"], kind="stable")
        for q in mine.itertuples():
            selection = etree.SubElement(
                source, _q("PlainTextSelection"), guid=guid("quote", q.quote_id),
                name=xml_safe(f"{q.section} · {q.response_id}"), startPosition=str(int(q.char_start)),
                endPosition=str(int(q.char_end)),
            )
            etree.SubElement(selection, _q("Description")).text = xml_safe(str(q.text))
            # Topics and learned codes are the machine's; a human code carries no creatingUser.
            targets = [(guid("topic", int(q.topic_id)), True)] + [
                (guid("code", c), by_machine) for c, by_machine in codes_by_quote.get(str(q.quote_id), [])
            ]
            for target, by_machine in targets:
                coding = etree.SubElement(selection, _q("Coding"), guid=guid("coding", f"{q.quote_id}->{target}"))
                if by_machine:
                    coding.set("creatingUser", machine)
                etree.SubElement(coding, _q("CodeRef"), targetGUID=target)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def _cases(root, quotes: pd.DataFrame, attributes: Sequence[str]) -> None:
    """``Variables`` (one text variable per attribute) and ``Cases`` (one per respondent)."""
    from lxml import etree

    from nlp.compare import respondent_ids

    if attributes:
        variables = etree.SubElement(root, _q("Variables"))
        for name in attributes:
            etree.SubElement(variables, _q("Variable"), guid=guid("variable", name), name=xml_safe(str(name)), typeOfVariable="Text")
    if quotes.empty:
        return
    cases = etree.SubElement(root, _q("Cases"))
    respondents = respondent_ids(quotes)
    for respondent, mine in quotes.groupby(respondents, sort=True):
        case = etree.SubElement(cases, _q("Case"), guid=guid("case", respondent), name=xml_safe(str(respondent)))
        first = mine.iloc[0]
        for name in attributes:
            value = etree.SubElement(case, _q("VariableValue"))
            etree.SubElement(value, _q("VariableRef"), targetGUID=guid("variable", name))
            etree.SubElement(value, _q("TextValue")).text = "" if pd.isna(first[name]) else xml_safe(str(first[name]))
        for quote_id in mine["quote_id"]:
            etree.SubElement(case, _q("SelectionRef"), targetGUID=guid("quote", quote_id))


def _source_texts(raw_dir: Path, wanted: Iterable[str], manifest: Manifest | None) -> dict[str, str]:
    """Decoded text of each wanted source file, checked against the run's input hashes."""
    from nlp.ingest import ingest_dir

    wanted = list(dict.fromkeys(wanted))
    documents = {d.source_file: d for d in ingest_dir(Path(raw_dir)).documents}
    hashes = {i.file: i.sha256 for i in manifest.inputs} if manifest else {}
    texts: dict[str, str] = {}
    for name in wanted:
        doc = documents.get(name)
        if doc is None:
            raise FileNotFoundError(f"{Path(raw_dir) / name}: source of the run's quotes is missing or unreadable")
        if hashes.get(name) and hashes[name] != doc.sha256:
            raise ValueError(
                f"{Path(raw_dir) / name}: changed since the run (sha256 differs); "
                "run `interviews run` again before exporting, or the offsets would be wrong"
            )
        texts[name] = doc.text
    return texts


def export_qdpx(
    processed_dir: Path,
    raw_dir: Path,
    out_path: Path,
    project_name: str = "Interview insights",
) -> QdpxSummary:
    """Write a ``.qdpx`` archive of the run in ``processed_dir``.

    Args:
        processed_dir: a finished run (``quotes.parquet``, ``topics.parquet``, optionally
            ``codes.parquet`` from ``interviews codes``).
        raw_dir: the raw folder the run read; only read here.
        out_path: the ``.qdpx`` file to write (replaced atomically).
        project_name: the project's name in the QDA tool.
    """
    from nlp import tables
    from nlp.manifest import read_manifest

    processed_dir = Path(processed_dir)
    quotes = tables.QUOTES.read(processed_dir)
    topics = tables.TOPICS.read(processed_dir)
    codes = tables.CODES.read(processed_dir) if (processed_dir / tables.CODES.filename).is_file() else None
    # A run from before the two-level themes has no parents table: its topics export flat.
    parents = tables.PARENTS.read(processed_dir) if (processed_dir / tables.PARENTS.filename).is_file() else None
    manifest = read_manifest(processed_dir)
    texts = _source_texts(raw_dir, sorted(quotes["source_file"].unique()), manifest)
    for q in quotes.itertuples():
        if not 0 <= q.char_start <= q.char_end <= len(texts[q.source_file]):
            raise ValueError(f"{q.source_file}: quote {q.quote_id} spans {q.char_start}-{q.char_end}, outside the text")
    attributes = tables.QUOTES.extra_names(quotes)
    xml = build_project_xml(project_name, texts, quotes, topics, codes, parents=parents, attributes=attributes)

    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)

    def write(tmp: Path) -> None:
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            archive.writestr(zipfile.ZipInfo("project.qde", _ZIP_TIME), xml, compress_type=zipfile.ZIP_DEFLATED)
            for source_file, text in texts.items():
                entry = zipfile.ZipInfo(f"sources/{guid('source', source_file)}.txt", _ZIP_TIME)
                archive.writestr(entry, xml_safe(text).encode("utf-8"), compress_type=zipfile.ZIP_DEFLATED)

    atomic_write(out_path, write)
    n_codes = len({int(t) for t in quotes["topic_id"]} | {int(t) for t in topics["topic_id"]})
    n_codes += 0 if codes is None else codes["code"].nunique()
    return QdpxSummary(out_path, len(texts), len(quotes), n_codes)
