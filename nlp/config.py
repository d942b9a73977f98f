"""Settings of one pipeline run, with the defaults ``make run`` uses."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from nlp.quotes import QuoteConfig
from nlp.topics import TopicConfig

__all__ = ["PipelineConfig"]


@dataclass(frozen=True)
class PipelineConfig:
    """Everything that decides a run's output.

    Attributes:
        raw_dir: input folder; read-only to the pipeline.
        out_dir: output folder, replaced as a whole at the end of a successful run.
        cache_dir: embedding cache and other state that survives runs.
        model_path: a local sentence-transformers model directory; ``None`` uses the bundled,
            hash-verified all-MiniLM-L6-v2.
        backend: how quotes are embedded:
            ``"onnx-fp32"`` (default: an fp32 ONNX export built once offline, within 2e-7 of
            torch and 1.7-2.1x its speed; with ``model_path`` set, plain sentence-transformers,
            which honours that model's own pooling), ``"torch"`` (plain sentence-transformers) or
            ``"onnx-int8"`` (int8 weights, about 4.2x torch, mean cosine 0.992 to fp32, but seed
            topics agree with fp32's only at ARI 0.57; see the README).
        seed: seeds every stochastic step.
        text_column: survey CSV column holding the answers; ``None`` detects it.
        max_file_mb: larger inputs are refused as not being an interview.
        topic_match_threshold: cosine similarity of centroids above which a topic of this run
            is the same topic as one of the previous run, and keeps its id. Measured with
            ``bench/reruns.py`` (501 quotes, one 39-quote file added): 0.8 kept 79.6% of old
            quotes' ids, 0.7 kept 81.6%. Matching is one-to-one, so a lower threshold can only
            mislabel when a topic vanished and an unrelated one lies that close.
        merge_threshold: cosine similarity above which recommendations from different
            responses are merged into one candidate.
        progress: show progress bars on long steps.
    """

    raw_dir: Path = Path("data/raw")
    out_dir: Path = Path("data/processed")
    cache_dir: Path = Path("data/interim")
    model_path: Path | None = None
    backend: str = "onnx-fp32"
    seed: int = 42
    text_column: str | None = None
    max_file_mb: float = 20.0
    topic_match_threshold: float = 0.7
    merge_threshold: float = 0.85
    progress: bool = False
    quotes: QuoteConfig = field(default_factory=QuoteConfig)
    topics: TopicConfig = field(default_factory=TopicConfig)

    @property
    def embedding_cache_dir(self) -> Path:
        return Path(self.cache_dir) / "embeddings"
