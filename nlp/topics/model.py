"""Fitting BERTopic with the small-corpus configuration, and saving it."""

from __future__ import annotations

import logging
import random
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from nlp.schemas import Quote, Topic
from nlp.substantive import BACKCHANNEL_WORDS, HESITATION_WORDS
from nlp.topics import stability
from nlp.topics.clustering import SPECTRAL_MAX_DOCS, SpectralLayout, WardClusterer
from nlp.topics.communities import GraphLayout, LeidenClusterer
from nlp.topics.config import TopicConfig, n_neighbors_for, n_topics_for
from nlp.topics.context import sentence_context
from nlp.topics.labels import TermStats, label_from, vectorizer
from nlp.topics.lexical import LexicalUMAP, lexical_features
from nlp.topics.sampled import SampledLayout

__all__ = [
    "LAYOUTS",
    "TopicFit",
    "fit_topics",
    "import_bertopic",
    "reassign_topics",
    "save_topic_model",
    "topic_centroids",
]

LAYOUTS = ("umap", "spectral", "leiden")
# Words of speech that are no topic's keyword (``_describe``).
_SPEECH_NOISE = HESITATION_WORDS | BACKCHANNEL_WORDS


@dataclass
class TopicFit:
    """What the topic stage produced for one corpus.

    Attributes:
        topics: one record per topic, ``-1`` excluded, ordered by ``topic_id``.
        assignments: topic id per quote, aligned with the input quotes.
        centroids: mean unit embedding per topic id, for matching topics across runs.
        quality: outlier share, topic diversity and NPMI coherence.
        model: the fitted BERTopic model (for saving and visualisation).
        layout: UMAP coordinates of each quote, kept to warm-start the next run.
    """

    topics: list[Topic]
    assignments: list[int]
    centroids: dict[int, np.ndarray]
    quality: dict[str, float]
    model: object = field(repr=False)
    layout: np.ndarray | None = field(default=None, repr=False)


class _Embedder:
    """Adapter so BERTopic's KeyBERTInspired can embed candidate words with our embedder."""

    def __init__(self, embedder) -> None:
        import_bertopic(umap=False)
        from bertopic.backend import BaseEmbedder

        class _Backend(BaseEmbedder):
            def embed(inner, documents, verbose=False):  # noqa: N805 - BERTopic's signature
                return embedder.embed(list(documents))

        self.backend = _Backend()


def _seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)


def import_bertopic(umap: bool = True):
    """Import BERTopic and UMAP once: without torch, with UMAP's kernels cached (``nlp.startup``)."""
    from nlp.startup import import_bertopic as _import

    return _import(umap)


def spectral_dims(n_topics: int) -> int:
    """Eigenvectors the spectral layout keeps: half the topic count, at least 2.

    Measured with ``bench.topic_robustness`` (Ward cut at the pipeline's count): Banking77
    (77 intents, 91 topics) wants many (F1 0.64 at 20, 0.70 at 45 and at 91), 20 Newsgroups
    (20 groups, 51 topics) few (0.51 at 12-20, 0.48 at 25, 0.43 at 51); half is the compromise.
    """
    return max(2, n_topics // 2)


def _build_model(
    texts: Sequence[str], embedder, cfg: TopicConfig, init_layout: np.ndarray | None = None, context=None,
    layout: np.ndarray | None = None, kept_topics: np.ndarray | None = None,
):
    n_docs = len(texts)
    import_bertopic(umap=layout is None)  # a given layout needs no UMAP
    from bertopic import BERTopic
    from bertopic.representation import KeyBERTInspired, MaximalMarginalRelevance
    from bertopic.vectorizers import ClassTfidfTransformer

    from nlp.topics.mmr import BatchedMMR, embeds_ahead

    n_neighbors = min(n_neighbors_for(n_docs), n_docs - 1)
    clusterer = WardClusterer(cfg.n_topics, cfg.min_topic_size, cfg.max_fit_docs, cfg.seed)
    if layout is not None:
        umap = stability.FixedLayout(layout)  # the previous fit's, for the very same input or with new quotes placed
        if kept_topics is not None:  # old quotes keep their topics, new ones join the nearest
            clusterer = stability.KeptClusters(kept_topics)
    elif cfg.layout == "spectral" and n_docs <= SPECTRAL_MAX_DOCS:
        # Deterministic: no seed reaches it, and a rerun needs no warm start (init_layout).
        umap = SpectralLayout(n_neighbors, spectral_dims(cfg.n_topics or n_topics_for(n_docs)))
    elif cfg.layout == "leiden" and n_docs <= SPECTRAL_MAX_DOCS:
        # Communities of the same neighbour graph, on the joined vectors themselves.
        umap = GraphLayout()
        clusterer = LeidenClusterer(n_neighbors, cfg.n_topics, cfg.min_topic_size, cfg.seed)
    else:
        from nlp.topics.neighbours import ExactNeighboursUMAP

        umap = ExactNeighboursUMAP(
            n_neighbors=n_neighbors,
            n_components=min(cfg.n_components, max(2, n_docs - 2)),
            min_dist=0.0,
            metric="cosine",
            random_state=cfg.seed,
            low_memory=True,
            init=init_layout if init_layout is not None else "spectral",
            n_epochs=stability.WARM_EPOCHS if init_layout is not None else None,  # starts near its answer
        )
        umap.exact_max = cfg.exact_neighbours_max
        if cfg.layout_sample and n_docs > cfg.layout_sample:  # fit a sample, place the rest
            umap = SampledLayout(umap, cfg.layout_sample, cfg.seed, n_neighbors)
    words = vectorizer(n_docs)
    if layout is None and (cfg.lexical_weight > 0 or cfg.context_weight > 0):
        # The spectral and graph layouts draw on no seed (Leiden takes its own), so their lexical SVD takes a fixed one.
        lexical_seed = 0 if isinstance(umap, SpectralLayout | GraphLayout) else cfg.seed
        lexical = (
            lexical_features(texts, words.analyzer, lexical_seed) if cfg.lexical_weight > 0 else np.zeros((n_docs, 1))
        )
        umap = LexicalUMAP(umap, lexical, cfg.lexical_weight, context, cfg.context_weight)
    # MMR's per-topic look-ups embedded in one batch first, where that gives the same vectors (nlp.topics.mmr).
    mmr = BatchedMMR if embeds_ahead(embedder) else MaximalMarginalRelevance
    return BERTopic(
        embedding_model=_Embedder(embedder).backend if embedder is not None else None,
        umap_model=umap,
        hdbscan_model=clusterer,
        vectorizer_model=words,
        ctfidf_model=ClassTfidfTransformer(reduce_frequent_words=True),
        representation_model=[
            KeyBERTInspired(top_n_words=cfg.top_n_words, random_state=cfg.seed),
            mmr(diversity=0.3, top_n_words=cfg.top_n_words),
        ]
        if embedder is not None and cfg.keybert
        else mmr(diversity=0.3, top_n_words=cfg.top_n_words),
        top_n_words=cfg.top_n_words,
        calculate_probabilities=False,
        verbose=False,
    )


def _representatives(
    members: np.ndarray, embeddings: np.ndarray, centroid: np.ndarray, quotes: Sequence[Quote], k: int
) -> tuple[str, ...]:
    """Quotes closest to the topic centroid, one per response so they show different voices."""
    order = members[np.argsort(-(embeddings[members] @ centroid), kind="stable")]
    chosen: list[str] = []
    seen_responses: set[str] = set()
    for i in order:
        q = quotes[i]
        if q.duplicate_of is not None or q.response_id in seen_responses:
            continue
        chosen.append(q.quote_id)
        seen_responses.add(q.response_id)
        if len(chosen) == k:
            break
    return tuple(chosen)


def topic_centroids(assignments: np.ndarray, embeddings: np.ndarray) -> dict[int, np.ndarray]:
    """Unit-length mean embedding of each topic (outliers excluded)."""
    out = {}
    for t in np.unique(assignments):
        if t == -1:
            continue
        c = embeddings[assignments == t].mean(axis=0)
        out[int(t)] = (c / (np.linalg.norm(c) or 1.0)).astype(np.float32)
    return out


def fit_topics(
    quotes: Sequence[Quote],
    embeddings: np.ndarray,
    embedder=None,
    config: TopicConfig | None = None,
    init_layout: np.ndarray | None = None,
    fine_tune: bool = True,
    layout: np.ndarray | None = None,
    kept_topics: np.ndarray | None = None,
) -> TopicFit:
    """Fit topics on ``quotes`` with their precomputed ``embeddings``.

    Args:
        quotes: the corpus, in a fixed order (the order is part of the seeded input).
        embeddings: (n, dim) unit vectors aligned with ``quotes``.
        embedder: used by KeyBERTInspired to embed candidate keywords; without it, keywords
            come from c-TF-IDF with MMR only.
        config: topic settings.
        init_layout: starting UMAP coordinates (n, n_components), e.g. the previous run's
            (``nlp.topics.stability.warm_layout``); ``None`` starts from a spectral layout.
        fine_tune: ``False`` is for a caller that calls ``reassign_topics`` next, which computes
            the full keywords and describes the topics anyway: the fit leaves each topic's
            keywords as its plain c-TF-IDF terms (KeyBERT and MMR were about a quarter of a
            rerun's topic stage) and returns no topic records and no quality figures, only the
            assignments, centroids, model and layout.
        layout: coordinates to cluster as they are, instead of fitting a layout: the previous
            fit's, when this one reads the same (``nlp.topics.stability.reused_layout``), or
            with new quotes placed in it (``nlp.topics.stability.plan_layout``).
        kept_topics: with ``layout``, the topic of every quote (-1 an outlier) instead of a
            Ward cut (``nlp.topics.stability.KeptClusters``).

    Returns:
        Topics, the assignment of each quote, centroids, the layout and quality figures.
    """
    cfg = config or TopicConfig()
    if cfg.layout not in LAYOUTS:
        raise ValueError(f"unknown topic layout {cfg.layout!r}; choose one of {', '.join(LAYOUTS)}")
    texts = [q.text for q in quotes]
    if len(texts) < max(cfg.min_topic_size, 3):
        raise ValueError(f"need at least {max(cfg.min_topic_size, 3)} quotes to fit topics, got {len(texts)}")
    _seed_everything(cfg.seed)
    context = sentence_context(quotes) if cfg.context_weight > 0 and layout is None else None
    model = _build_model(texts, embedder, cfg, init_layout, context, layout, kept_topics)
    representation = model.representation_model
    if not fine_tune:
        model.representation_model = None
    model._save_representative_docs = _skip_representative_docs
    try:
        with warnings.catch_warnings():
            # UMAP warns that a fixed random_state disables its parallelism: that is the point.
            warnings.filterwarnings("ignore", message=".*n_jobs value.*overridden.*", category=UserWarning)
            topics, _ = model.fit_transform(texts, embeddings=embeddings)
            if -1 in topics:
                topics = model.reduce_outliers(
                    texts,
                    topics,
                    strategy="embeddings",
                    embeddings=embeddings,
                    threshold=cfg.outlier_threshold,
                )
                _update(model, texts, topics, cfg)
    finally:
        del model._save_representative_docs  # the model is a plain BERTopic again
    model.representation_model = representation
    layout = np.asarray(model.umap_model.embedding_, dtype=np.float32)
    if not fine_tune:  # reassign_topics describes the topics next
        assignments = np.asarray(model.topics_, dtype=int)
        return TopicFit([], assignments.tolist(), topic_centroids(assignments, embeddings), {}, model, layout)
    return _describe(model, quotes, embeddings, layout, cfg)


def _skip_representative_docs(documents) -> None:
    """Stands in for BERTopic's ``_save_representative_docs`` during a fit.

    After every fit BERTopic picks three "representative documents" per topic (a c-TF-IDF
    pass over up to 500 sampled quotes per topic, about 0.25 CPU s for 2,800 quotes). Nothing
    here reads them: topics pick their own quotes (``_representatives``) and the safetensors
    save leaves them out. KeyBERTInspired computes its own, so keywords are unaffected.
    """


def reassign_topics(
    fit: TopicFit, quotes: Sequence[Quote], embeddings: np.ndarray, assignments: Sequence[int],
    config: TopicConfig | None = None,
) -> TopicFit:
    """Recompute keywords, labels, sizes and centroids after quotes changed topic."""
    cfg = config or TopicConfig()
    _seed_everything(cfg.seed)
    _update(fit.model, [q.text for q in quotes], list(assignments), cfg)
    return _describe(fit.model, quotes, embeddings, fit.layout, cfg)


def _drop_custom_assignment_warning(record: logging.LogRecord) -> bool:
    # BERTopic warns on every update_topics(topics=...) that reducing topics afterwards may
    # break; here the assignment is always the last step, so the warning would only alarm.
    return "custom list of topic assignments" not in record.getMessage()


def _update(model, texts: list[str], topics: list[int], cfg: TopicConfig) -> None:
    bertopic_log = logging.getLogger("BERTopic")
    bertopic_log.addFilter(_drop_custom_assignment_warning)
    try:
        model.update_topics(
            texts,
            topics=topics,
            vectorizer_model=model.vectorizer_model,
            ctfidf_model=model.ctfidf_model,
            representation_model=model.representation_model,
            top_n_words=cfg.top_n_words,
        )
    finally:
        bertopic_log.removeFilter(_drop_custom_assignment_warning)


def _describe(model, quotes: Sequence[Quote], embeddings: np.ndarray, layout: np.ndarray, cfg: TopicConfig) -> TopicFit:
    """Topic records, centroids and quality for the model's current assignments."""
    from nlp.topics.quality import quality_report

    texts = [q.text for q in quotes]
    assignments = np.asarray(model.topics_, dtype=int)
    centroids = topic_centroids(assignments, embeddings)
    analyzer = model.vectorizer_model.analyzer
    stats = TermStats.build(texts, analyzer)
    # The analyzer remembers every quote's terms during a fit; the fitted model outlives it.
    getattr(analyzer, "forget", lambda: None)()
    records: list[Topic] = []
    for tid in sorted(centroids):
        members = np.flatnonzero(assignments == tid)
        terms = [w for w, _ in (model.get_topic(tid) or []) if w] or stats.distinctive(members, cfg.top_n_words)
        # "uh", "okay", "yeah" can be distinctive of a theme of speech; they are never its subject.
        # Checked as written too: "yeah" is read as the lemma "yes".
        terms = [t for t in terms if _SPEECH_NOISE.isdisjoint(f"{t} {stats.surface.get(t, t)}".split())] or terms
        lifts = [stats.lift(t, members) for t in terms]
        keywords = tuple(stats.surface.get(t, t) for t in terms)
        records.append(
            Topic(
                topic_id=tid,
                label=label_from(keywords, lifts),
                keywords=keywords,
                size=int(len(members)),
                n_responses=len({quotes[i].response_id for i in members if quotes[i].duplicate_of is None}),
                representative_quote_ids=_representatives(
                    members, embeddings, centroids[tid], quotes, cfg.n_representatives
                ),
            )
        )
    quality = quality_report(
        stats.doc_terms, assignments, [[w for w, _ in model.get_topic(t.topic_id)] for t in records]
    )
    return TopicFit(records, assignments.tolist(), centroids, quality, model, layout)


def save_topic_model(fit: TopicFit, directory: Path, embedding_model_dir: Path | None = None) -> None:
    """Save the fitted BERTopic model with safetensors; the embedding model is only referenced.

    Args:
        fit: the fitted topics.
        directory: target folder.
        embedding_model_dir: local sentence-transformers directory recorded as the model's
            embedding model, so ``BERTopic.load`` can embed new text offline on this machine.
    """
    fit.model.save(
        str(directory),
        serialization="safetensors",
        save_ctfidf=True,
        save_embedding_model=str(embedding_model_dir) if embedding_model_dir else False,
    )
