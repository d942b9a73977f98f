"""Settings of one pipeline run: the single place each setting and its default is declared.

``PipelineConfig`` is what the flow takes, what ``run_pipeline`` takes and what the manifest
records. The command lines (``python -m flows.interview_pipeline``, ``interviews run``,
``python -m flows.deploy``) derive their options from its fields with ``config_options``, and
the run fingerprint covers every field except those listed in ``RESULT_NEUTRAL``. A new
setting is therefore one new field here, with a ``help`` and nothing else.
"""

from __future__ import annotations

import argparse
import dataclasses
import functools
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nlp import paths
from nlp.quotes import QuoteConfig
from nlp.topics import TopicConfig

__all__ = [
    "BACKENDS",
    "RESULT_NEUTRAL",
    "ConfigOption",
    "PipelineConfig",
    "add_config_arguments",
    "config_from_args",
    "config_from_options",
    "config_options",
    "fingerprint_settings",
    "jsonable_config",
]

# The first is the default: see PipelineConfig.backend and the README's "Embedding backends".
BACKENDS = ("onnx-fp32", "onnx-int8", "torch")


def _setting(default: Any, help: str, **extra: Any) -> Any:
    # Help lives beside the default so every command line derived from the field says the same.
    if isinstance(default, type):
        return field(default_factory=default, metadata={"help": help, **extra})
    return field(default=default, metadata={"help": help, **extra})


@dataclass(frozen=True)
class PipelineConfig:
    """Everything that decides a run's output, and where it reads and writes.

    Attributes:
        raw_dir: input folder; read-only to the pipeline.
        out_dir: output folder, replaced as a whole at the end of a successful run.
        cache_dir: embedding cache and other state that survives runs.
        model_path: a local sentence-transformers model directory; ``None`` uses the bundled,
            hash-verified all-MiniLM-L6-v2.
        backend: how quotes are embedded:
            ``"onnx-fp32"`` (default: an fp32 ONNX export built once per machine, offline, from
            the bundled weights; within 2e-7 of torch, 1.7-2.1x its speed; a text's vector is
            the same whatever it is batched with), ``"onnx-int8"`` (int8 weights of that export;
            within the noise of fp32 on every quality figure but 20 Newsgroups topic NMI,
            0.011 lower; each text runs alone, as its
            activations are quantised per run, so a text's vector is the same in any batch;
            faster than fp32 per CPU second on CPUs with VNNI, about fp32's speed without;
            see the README) or ``"torch"`` (plain sentence-transformers). With ``model_path`` set, both ONNX
            backends run that model on plain sentence-transformers, which honours its own pooling.
        seed: seeds every stochastic step.
        text_column: survey CSV/xlsx column holding the answers, or several separated by commas;
            ``None`` detects one.
        id_column: survey CSV/xlsx column identifying the respondent (``ResponseId``, ...);
            ``None`` detects it, and without one each row is a respondent.
        max_file_mb: larger inputs are refused as not being an interview.
        topic_match_threshold: cosine similarity of centroids above which a topic of this run
            is the same topic as one of the previous run, and keeps its id. Measured on 501
            Polis quotes with one 39-quote file added (an earlier version of
            ``bench/reruns.py``): 0.8 kept 79.6% of old quotes' ids, 0.7 kept 81.6%; on the
            seed plus the mlsys transcripts with one interview added, 0.7 kept 82.6%. Matching is one-to-one, so a lower threshold can only
            mislabel when a topic vanished and an unrelated one lies that close.
        ask_threshold: similarity (average linkage of the closer of ask-span and whole-quote
            cosines) at which detected recommendations are one ask (nlp.recommendations.asks).
        batch_size: distinct texts per embedding task and quotes per scoring task, the unit the
            flow spreads over Dask workers. Part of the fingerprint: texts padded together in
            one batch can differ from another batching by ~1e-7, which can move a topic.
        filler_examples: quotes the rules of ``nlp.substantive`` must flag (and as many they
            keep) before a model of the flagged ones reads the kept ones, and turns those more
            likely filler than not non-substantive too (``nlp.filler_model``); 0 turns it off.
        progress: show progress bars on long steps.
        curation: a researcher's YAML file of decisions on the themes (``nlp.curation``),
            applied after the topic stage on every run; its content is in the fingerprint.
        lock_timeout_s: seconds a run waits for another run on the same output folder to
            finish (``nlp.runlock``) before it gives up with "another run is in progress";
            0 refuses at once.
        cache_keep: after a run that computed anything, each stage cache
            (``<cache_dir>/stages/<stage>``, ``nlp.stagecache.prune``) keeps every entry the run
            used and this many others, the most recently used; the rest are deleted. The
            embedding cache is not pruned.
        quotes: how units become quotes (``nlp.quotes.QuoteConfig``).
        topics: settings of the topic stage (``nlp.topics.TopicConfig``); its ``seed`` is
            replaced by ``seed``.
    """

    raw_dir: Path = _setting(paths.RAW_DIR, "Interview files; only read.")
    out_dir: Path = _setting(paths.PROCESSED_DIR, "Where the outputs go, replaced whole on success.")
    cache_dir: Path = _setting(paths.INTERIM_DIR, "Embedding cache that survives runs.")
    model_path: Path | None = _setting(None, "Local sentence-transformers model dir; default: the bundled MiniLM.")
    backend: str = _setting(
        BACKENDS[0], "Embedding backend: fp32 ONNX export (default), int8 ONNX export, or plain torch.",
        choices=BACKENDS,
    )
    seed: int = _setting(42, "Seeds every stochastic step.")
    text_column: str | None = _setting(
        None,
        "Survey CSV/xlsx column with the answers, or several separated by commas (one question each); "
        "detected when omitted.",
    )
    id_column: str | None = _setting(
        None, "Survey CSV/xlsx column identifying the respondent; detected when omitted, else each row."
    )
    participants: Path | None = _setting(
        None, "CSV/xlsx of participant attributes (group, role, ...) keyed by file, speaker or respondent_id."
    )
    max_file_mb: float = _setting(20.0, "Larger input files are refused.")
    topic_match_threshold: float = _setting(0.7, "Centroid similarity at which a topic keeps its id across runs.")
    ask_threshold: float = _setting(0.73, "Similarity at which recommendations are grouped into one ask.")
    batch_size: int = _setting(512, "Texts per embedding task and quotes per scoring task.")
    filler_examples: int = _setting(
        50, "Quotes the rules call filler needed to learn the run's filler and find more like it; 0 turns it off."
    )
    progress: bool = _setting(False, "Show progress bars on long steps.")
    curation: Path | None = _setting(
        None, "YAML file of a researcher's decisions on the themes (labels, merges, noise, splits, moves)."
    )
    lock_timeout_s: float = _setting(
        1800.0, "Seconds to wait for another run on the same output folder; 0 refuses at once."
    )
    cache_keep: int = _setting(
        200, "Stage cache entries this run did not use that each stage keeps (most recent first)."
    )
    quotes: QuoteConfig = _setting(QuoteConfig, "How units become quotes.")
    topics: TopicConfig = _setting(TopicConfig, "Settings of the topic stage.")

    @property
    def embedding_cache_dir(self) -> Path:
        return Path(self.cache_dir) / "embeddings"


# Fields that never change what a run writes, so the fingerprint leaves them out. Folders:
# the raw folder's files are hashed instead of its name, and the output and cache folders only
# say where things go. The model's weights hash stands in for its path. Anything not listed
# here is fingerprinted: a forgotten setting costs a re-analysis, never stale outputs.
RESULT_NEUTRAL = frozenset(
    {"raw_dir", "out_dir", "cache_dir", "model_path", "progress", "lock_timeout_s", "cache_keep"}
)


def _jsonable(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, Path):
        return str(value)
    return value


def jsonable_config(config: PipelineConfig) -> dict[str, Any]:
    """The whole config as JSON-ready values (paths as strings), for the manifest and deployments."""
    return _jsonable(config)


def fingerprint_settings(config: PipelineConfig) -> dict[str, Any]:
    """Every setting that can change the outputs: the config minus ``RESULT_NEUTRAL``."""
    return {k: v for k, v in jsonable_config(config).items() if k not in RESULT_NEUTRAL}


@dataclass(frozen=True)
class ConfigOption:
    """One command-line option derived from a ``PipelineConfig`` field (or a nested one).

    Attributes:
        name: keyword for ``config_from_options``: the field's name, or ``quotes_max_words``
            for a field of a nested settings record.
        flag: ``--raw-dir``, ``--quotes-max-words``.
        type: the value's type without ``None`` (``Path``, ``int``, ``float``, ``str``, ``bool``).
        default: the field's default.
        help: one line for ``--help``.
        optional: ``None`` is a valid value.
        choices: allowed values, if restricted.
    """

    name: str
    flag: str
    type: type
    default: Any
    help: str
    optional: bool = False
    choices: tuple[str, ...] | None = None


def _plain_type(hint: Any) -> tuple[type, bool]:
    args = [a for a in typing.get_args(hint) if a is not type(None)]
    if args and len(args) < len(typing.get_args(hint)):
        return args[0], True
    return hint, False


def _options_of(record: type, prefix: str) -> list[ConfigOption]:
    hints = typing.get_type_hints(record)
    out = []
    for f in dataclasses.fields(record):
        kind, optional = _plain_type(hints[f.name])
        default = f.default if f.default is not dataclasses.MISSING else f.default_factory()
        if dataclasses.is_dataclass(kind):
            out += _options_of(kind, f"{prefix}{f.name}_")
            continue
        if prefix and f.name == "seed":
            continue  # a nested record's seed is replaced by PipelineConfig.seed
        name = f"{prefix}{f.name}"
        out.append(
            ConfigOption(
                name=name,
                flag="--" + name.replace("_", "-"),
                type=kind,
                default=default,
                help=f.metadata.get("help") or f"See {record.__module__}.{record.__name__}.{f.name}.",
                optional=optional,
                choices=f.metadata.get("choices"),
            )
        )
    return out


def _nested_fields() -> set[str]:
    hints = typing.get_type_hints(PipelineConfig)
    return {f.name for f in dataclasses.fields(PipelineConfig) if dataclasses.is_dataclass(hints[f.name])}


@functools.cache
def config_options() -> tuple[ConfigOption, ...]:
    """Every setting of ``PipelineConfig`` as a command-line option, nested settings flattened."""
    return tuple(_options_of(PipelineConfig, ""))


def config_from_options(**values: Any) -> PipelineConfig:
    """A ``PipelineConfig`` from option values named as ``config_options`` names them.

    Options left out keep their defaults.

    Raises:
        TypeError: a name that is not an option.
    """
    known = {o.name for o in config_options()}
    unknown = set(values) - known
    if unknown:
        raise TypeError(f"not PipelineConfig options: {', '.join(sorted(unknown))}")
    nested: dict[str, dict[str, Any]] = {}
    top: dict[str, Any] = {}
    sub_records = _nested_fields()
    for name, value in values.items():
        head, _, rest = name.partition("_")
        if head in sub_records and rest:
            nested.setdefault(head, {})[rest] = value
        else:
            top[name] = value
    default = PipelineConfig()
    for head, fields_ in nested.items():
        top[head] = dataclasses.replace(getattr(default, head), **fields_)
    for f in dataclasses.fields(PipelineConfig):
        kind, _ = _plain_type(typing.get_type_hints(PipelineConfig)[f.name])
        if kind is Path and top.get(f.name) is not None:
            top[f.name] = Path(top[f.name])
    return PipelineConfig(**top)


def add_config_arguments(parser: argparse.ArgumentParser) -> None:
    """Add one argparse option per setting (see ``config_options``)."""
    group = parser.add_argument_group("settings (PipelineConfig)")
    for o in config_options():
        if o.type is bool:
            group.add_argument(o.flag, dest=o.name, action=argparse.BooleanOptionalAction, default=o.default, help=o.help)
        else:
            group.add_argument(o.flag, dest=o.name, type=o.type, default=o.default, choices=o.choices, help=o.help)


def config_from_args(args: argparse.Namespace) -> PipelineConfig:
    """The ``PipelineConfig`` of parsed arguments added by ``add_config_arguments``."""
    return config_from_options(**{o.name: getattr(args, o.name) for o in config_options()})
