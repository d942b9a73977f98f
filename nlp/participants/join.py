"""Joining participant attributes to the run's respondents, and naming their columns."""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Collection, Mapping, Sequence
from pathlib import Path

from nlp.ingest.survey_csv import SURVEY_FORMATS
from nlp.participants.read import (
    UNKNOWN,
    ParticipantRow,
    ParticipantsError,
    ParticipantTable,
    RespondentAttributes,
    norm,
)
from nlp.schemas import Document

__all__ = [
    "ATTRIBUTE_PREFIX",
    "attribute_column_names",
    "join_attributes",
    "quote_attribute_columns",
    "respondent_key",
    "survey_attribute_names",
    "survey_metadata_columns",
    "withheld_survey_columns",
]

logger = logging.getLogger("nlp.participants")

# Added to an attribute's name only when it would collide with a column quotes already have.
ATTRIBUTE_PREFIX = "attr_"
_ID_NAMES = frozenset(
    {"id", "responseid", "response id", "respondentid", "respondent id", "respondent",
     "participant", "participant id", "participantid", "speaker", "author", "author id", "csv line"}
)


def respondent_key(source_file: str, speaker: str | None, response_id: str) -> str:
    """The respondent a response belongs to, where no ``respondent_id`` is recorded.

    A transcript's speaker (or a survey's author) is one person across turns, so
    ``file#speaker``; a summary cell has no known identity, so it is its own respondent.
    """
    return f"{source_file}#{speaker}" if speaker else response_id

# Contact and location columns that survey tools add to every export (Qualtrics: IPAddress,
# Recipient*, Location*, ExternalReference, the contact list's own id for the person, often an
# e-mail or staff number; SurveyMonkey: "IP Address", "Email Address", "First Name", "Last Name";
# Microsoft Forms: "Email", "Name"; Google Forms: "Email Address", "Username"), and phone numbers.
# They identify a person without describing them, so they never become attributes: not in
# quotes.parquet, the workbook, the group comparisons or the REFI-QDA export.
_CONTACT_NAMES = frozenset(
    {"ipaddress", "ip address", "ip", "recipientemail", "recipientfirstname", "recipientlastname",
     "recipient email", "recipient first name", "recipient last name", "email", "email address",
     "e mail", "e mail address", "first name", "last name", "locationlatitude", "locationlongitude",
     "location latitude", "location longitude", "latitude", "longitude", "externalreference",
     "externaldatareference", "external reference", "external data reference", "name", "full name",
     "respondent name", "username", "user name", "phone", "phone number", "telephone", "mobile"}
)


# What survey tools record about the response rather than the respondent: when, how long, how far,
# through which link (Qualtrics: StartDate, EndDate, RecordedDate, Duration (in seconds),
# DistributionChannel, its Q_ fraud scores; SurveyMonkey: Collector ID, Start Date, End Date; Google
# Forms: Timestamp; Microsoft Forms: Start time, Completion time). Timestamps and durations take a
# value per person, so as groups they would compare nobody with anybody. UserLanguage is not among
# them: the language a respondent answered in is a group a researcher compares by.
_PLATFORM_NAMES = frozenset(
    {"startdate", "enddate", "recordeddate", "recorded date", "duration (in seconds)", "distributionchannel",
     "distribution channel", "response type", "collector id", "start date", "end date", "timestamp",
     "start time", "completion time", "last modified time", "q recaptchascore", "q relevantidduplicate",
     "q relevantidduplicatescore", "q relevantidfraudscore", "q relevantidlaststartdate",
     "q ballotboxstuffing", "q totalduration"}
)
# Qualtrics' response status and completion: words a survey of one's own may use for an answer
# ("status: student"), so they are platform metadata only beside one of the names above.
_PLATFORM_WORDS = frozenset({"status", "progress", "finished"})


def _describing(doc: Document) -> list[str]:
    """A survey's columns other than its text, id and speaker columns."""
    if doc.format not in SURVEY_FORMATS:
        return []
    text = set(doc.metadata.get("text_columns") or [doc.metadata.get("text_column")])
    return [c for c in doc.metadata.get("columns", []) if c not in text and norm(c) not in _ID_NAMES]


def survey_metadata_columns(doc: Document) -> list[str]:
    """A survey's platform columns (start and end time, duration, progress, status, channel), and
    any column whose value differs between two rows of one respondent (a Polis comment's votes
    and moderation): facts about the response, not the respondent, so no attribute."""
    columns = _describing(doc)
    platform = _PLATFORM_NAMES | (_PLATFORM_WORDS if any(norm(c) in _PLATFORM_NAMES for c in columns) else set())
    varying = _varying_within_respondent(doc, [c for c in columns if norm(c) not in platform])
    return [c for c in columns if norm(c) in platform or c in varying]


def _varying_within_respondent(doc: Document, columns: Sequence[str]) -> set[str]:
    """Of ``columns``, those whose value differs between two responses of one respondent."""
    values: dict[tuple[str, str], set[str]] = defaultdict(set)
    for r in doc.responses:
        for c in columns:
            values[(r.respondent_id or r.response_id, c)].add(str(r.metadata.get(c, "")).strip())
    return {c for (_, c), seen in values.items() if len(seen) > 1}


def survey_attribute_names(doc: Document) -> list[str]:
    """A survey's (CSV, workbook) columns that describe the respondent: all but text, id, speaker,
    the contact/location columns of ``withheld_survey_columns`` and the platform columns of
    ``survey_metadata_columns``."""
    metadata = set(survey_metadata_columns(doc))
    return [c for c in _describing(doc) if norm(c) not in _CONTACT_NAMES and c not in metadata]


def withheld_survey_columns(doc: Document) -> list[str]:
    """A survey's contact and location columns (IP address, e-mail, names, coordinates): kept
    out of every output, so a shared table never carries them."""
    return [c for c in _describing(doc) if norm(c) in _CONTACT_NAMES]


def _match_file(table: ParticipantTable, row: ParticipantRow, value: str, files: Collection[str]) -> str:
    """The raw file a ``file`` key names: exactly, or by its name without extension."""
    if value in files:
        return value
    by_stem = [f for f in files if Path(f).stem == value or Path(f).name == value]
    if len(by_stem) == 1:
        return by_stem[0]
    listed = ", ".join(sorted(files)[:12]) + (", ..." if len(files) > 12 else "")
    raise ParticipantsError(table.path, f"unknown file {value!r}; the run's files are: {listed}", row=row.row, column="file")


def _rows_by_respondent(
    table: ParticipantTable, documents: Sequence[Document], respondent_of: Mapping[str, str]
) -> dict[str, ParticipantRow]:
    """respondent -> the participant row that describes them; unknown keys are errors."""
    files = {d.source_file for d in documents}
    kind = tuple(norm(k) for k in table.key)
    index: defaultdict[tuple[str, ...], list[str]] = defaultdict(list)  # key -> respondents
    speaker_files: defaultdict[str, set[str]] = defaultdict(set)
    for doc in documents:
        for r in doc.responses:
            if kind == ("file",):
                key = (doc.source_file,)
            elif kind == ("file", "speaker"):
                key = (doc.source_file, r.speaker or "")
            elif kind == ("speaker",):
                key = (r.speaker or "",)
                speaker_files[r.speaker or ""].add(doc.source_file)
            elif kind == ("respondent id",):
                key = (respondent_of[r.response_id],)
            else:
                key = (str(r.metadata.get(table.key[0], "")).strip(),)
            index[key].append(respondent_of[r.response_id])
    out: dict[str, ParticipantRow] = {}
    for row in table.rows:
        key = row.key
        if "file" in kind:
            key = (_match_file(table, row, row.key[0], files), *row.key[1:])
        matched = index.get(key)
        if kind == ("speaker",) and len(speaker_files.get(key[0], ())) > 1:
            raise ParticipantsError(
                table.path, f"speaker {key[0]!r} speaks in {len(speaker_files[key[0]])} files "
                f"({', '.join(sorted(speaker_files[key[0]]))}); add a 'file' column to say which one",
                row=row.row, column=table.key[0],
            )
        if not matched:
            what = {("file", "speaker"): f"no speaker {key[-1]!r} in {key[0]}", ("speaker",): "unknown speaker",
                    ("respondent id",): "unknown respondent",
                    ("file",): f"no respondent in {key[0]}"}.get(kind, f"no survey row has this {table.key[0]}")
            known = sorted({k[-1] for k in index if k[:-1] == key[:-1]})
            listed = ", ".join(known[:12]) + (", ..." if len(known) > 12 else "")
            raise ParticipantsError(
                table.path, f"{what} ({row.key[-1]!r}); known values: {listed or 'none'}", row=row.row, column=table.key[-1]
            )
        for rid in dict.fromkeys(matched):
            out[rid] = row
    return out


def _recorded(response) -> str:
    """The respondent ingestion recorded, unless it only repeats the response's own id."""
    recorded = getattr(response, "respondent_id", "") or ""
    return "" if recorded == response.response_id and response.speaker else recorded


def join_attributes(
    documents: Sequence[Document],
    participants: ParticipantTable | None = None,
    respondent_of: Mapping[str, str] | None = None,
) -> RespondentAttributes:
    """Attribute values for every response of ``documents``.

    Args:
        documents: the run's ingested documents.
        participants: a checked participants file, or ``None`` for survey columns alone.
        respondent_of: response_id -> respondent id (the quotes' ``respondent_id``); a response
            it does not name has the one ingestion recorded, else its ``respondent_key``.

    Returns:
        The attributes, with respondents the participants file does not list as ``missing``.

    Raises:
        ParticipantsError: a key names a file, speaker, respondent or survey row the run lacks.
    """
    given = respondent_of or {}
    respondent_of = {
        r.response_id: given.get(r.response_id) or _recorded(r) or respondent_key(d.source_file, r.speaker, r.response_id)
        for d in documents for r in d.responses
    }
    file_names = list(participants.attributes) if participants else []
    survey_names = list(dict.fromkeys(n for d in documents for n in survey_attribute_names(d) if n not in file_names))
    names = file_names + survey_names
    listed = _rows_by_respondent(participants, documents, respondent_of) if participants else {}
    missing: list[str] = []
    by_response: dict[str, tuple[str, ...]] = {}
    for doc in documents:
        for r in doc.responses:
            rid = respondent_of[r.response_id]
            row = listed.get(rid)
            if participants and row is None and rid not in missing:
                missing.append(rid)
            from_file = list(row.values) if row else [UNKNOWN] * len(file_names)
            from_survey = [str(r.metadata.get(n, "")).strip() or UNKNOWN for n in survey_names]
            by_response[r.response_id] = tuple(from_file + from_survey)
    if missing:
        shown = ", ".join(missing[:10]) + (f" and {len(missing) - 10} more" if len(missing) > 10 else "")
        logger.warning("%s does not list %d respondent(s), grouped as %r: %s",
                       participants.path, len(missing), UNKNOWN, shown)
    sources = {n: "participants" for n in file_names} | {n: "survey" for n in survey_names}
    return RespondentAttributes(tuple(names), by_response, tuple(missing), sources)


def attribute_column_names(names: Sequence[str], taken: Collection[str]) -> dict[str, str]:
    """attribute -> its column in ``quotes.parquet``: its own name unless that is ``taken``."""
    out: dict[str, str] = {}
    used = set(taken)
    for name in names:
        column = name
        while column in used:
            column = ATTRIBUTE_PREFIX + column
        used.add(column)
        out[name] = column
    return out



def quote_attribute_columns(
    response_ids: Sequence[str], attributes: RespondentAttributes, taken: Collection[str]
) -> dict[str, list[str]]:
    """Attribute columns for ``quotes.parquet``: column name -> one value per quote.

    Args:
        response_ids: each quote's ``response_id``, in table order.
        attributes: from ``join_attributes``.
        taken: the table's other columns; an attribute named like one is prefixed.
    """
    names = attribute_column_names(attributes.names, taken)
    return {names[name]: attributes.column(response_ids, name) for name in attributes.names}
