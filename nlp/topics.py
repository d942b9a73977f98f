"""Topic modelling that holds up on interview-sized corpora (about 50 to 5,000 quotes).

BERTopic's defaults assume tens of thousands of documents. On ~200 interview quotes, HDBSCAN's
density estimate flips between one catch-all cluster and a quarter of the corpus as outliers.
Measured on the seed and on 20 Newsgroups (``bench/topics_quality.py``), this configuration
holds up instead:

* UMAP to 5 dimensions with ``n_neighbors`` scaled to the corpus size, seeded;
* Ward agglomerative clustering on that projection (``WardClusterer``), which is deterministic
  and never leaves a quarter of the quotes unassigned; the number of topics grows with the
  square root of the corpus size;
* topics smaller than ``min_topic_size`` dissolve; their quotes join the nearest topic when
  they are similar enough (``reduce_outliers`` on embeddings), otherwise stay ``-1``;
* labels from spaCy lookup lemmas, English stop words and uni/bi-grams, re-ranked with
  KeyBERTInspired and diversified with MMR.
"""

from __future__ import annotations

import random
import warnings
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from nlp.schemas import Quote, Topic

__all__ = [
    "TopicConfig",
    "TopicFit",
    "WardClusterer",
    "fit_topics",
    "import_bertopic",
    "n_topics_for",
    "save_topic_model",
]


def n_topics_for(n_docs: int) -> int:
    """How many clusters to ask for: 1.2 * sqrt(n), within [2, 60].

    Measured (``bench/topics_quality.py``): NMI on 20 Newsgroups changes little between
    sqrt(n) and 2 * sqrt(n), while below sqrt(n) distinct interview concerns start to merge.
    """
    return int(min(60, max(2, round(1.2 * np.sqrt(n_docs)))))


def n_neighbors_for(n_docs: int) -> int:
    """UMAP neighbourhood, 0.7 * sqrt(n) within [5, 15].

    Small corpora need small neighbourhoods to keep local structure: at 15 neighbours the
    seed's private-sector and civil-society quotes fall into one cluster.
    """
    return int(min(15, max(5, round(0.7 * np.sqrt(n_docs)))))


@dataclass(frozen=True)
class TopicConfig:
    """Settings of the topic stage.

    Attributes:
        seed: seeds UMAP and every sampling step.
        n_topics: number of clusters to ask for; ``None`` picks ``n_topics_for(n)``.
        min_topic_size: a cluster smaller than this dissolves into outliers.
        outlier_threshold: cosine similarity to a topic's centroid that an outlier needs to
            join that topic.
        n_components: UMAP output dimensions.
        max_fit_docs: above this many quotes, Ward is fitted on a seeded sample of this size
            and the rest are assigned to the nearest centroid (Ward's memory is quadratic).
        top_n_words: keywords kept per topic.
        n_representatives: representative quotes kept per topic.
    """

    seed: int = 42
    n_topics: int | None = None
    min_topic_size: int = 3
    outlier_threshold: float = 0.3
    n_components: int = 5
    max_fit_docs: int = 8000
    top_n_words: int = 10
    n_representatives: int = 3
    keybert: bool = True


class WardClusterer:
    """Ward agglomerative clustering with the ``fit``/``labels_``/``predict`` BERTopic expects.

    Clusters below ``min_size`` are labelled ``-1`` so BERTopic treats them as outliers.
    ``predict`` assigns new points to the nearest cluster centroid in the reduced space.
    """

    def __init__(
        self, n_clusters: int | None = None, min_size: int = 3, max_fit: int = 8000, seed: int = 42
    ) -> None:
        self.n_clusters = n_clusters
        self.min_size = min_size
        self.max_fit = max_fit
        self.seed = seed
        self.labels_: np.ndarray | None = None
        self.centroids_: np.ndarray | None = None

    def fit(self, X: np.ndarray, y=None) -> WardClusterer:
        from sklearn.cluster import AgglomerativeClustering

        X = np.asarray(X, dtype=np.float64)
        n = len(X)
        k = min(self.n_clusters or n_topics_for(n), max(1, n - 1))
        fit_idx = np.arange(n)
        if n > self.max_fit:
            fit_idx = np.sort(np.random.default_rng(self.seed).choice(n, self.max_fit, replace=False))
        if k < 2 or len(fit_idx) < 3:
            fit_labels = np.zeros(len(fit_idx), dtype=int)
        else:
            fit_labels = AgglomerativeClustering(n_clusters=k, linkage="ward").fit_predict(X[fit_idx])
        kept = [c for c in np.unique(fit_labels) if (fit_labels == c).sum() >= self.min_size]
        if not kept:  # too few documents to hold min_size anywhere: one topic
            kept, fit_labels = [0], np.zeros(len(fit_idx), dtype=int)
        self.centroids_ = np.stack([X[fit_idx][fit_labels == c].mean(axis=0) for c in kept])
        remap = {c: i for i, c in enumerate(kept)}
        labels = np.full(n, -1, dtype=int)
        labels[fit_idx] = [remap.get(c, -1) for c in fit_labels]
        if n > self.max_fit:
            rest = np.setdiff1d(np.arange(n), fit_idx)
            labels[rest] = self.predict(X[rest])
        self.labels_ = labels
        return self

    def predict(self, X: np.ndarray) -> np.ndarray:
        X = np.asarray(X, dtype=np.float64)
        d = ((X[:, None, :] - self.centroids_[None, :, :]) ** 2).sum(axis=2)
        return d.argmin(axis=1)

    def fit_predict(self, X: np.ndarray, y=None) -> np.ndarray:
        return self.fit(X).labels_


@dataclass
class TopicFit:
    """What the topic stage produced for one corpus.

    Attributes:
        topics: one record per topic, ``-1`` excluded, ordered by ``topic_id``.
        assignments: topic id per quote, aligned with the input quotes.
        centroids: mean unit embedding per topic id, for matching topics across runs.
        quality: outlier share, topic diversity and NPMI coherence.
        model: the fitted BERTopic model (for saving and visualisation).
    """

    topics: list[Topic]
    assignments: list[int]
    centroids: dict[int, np.ndarray]
    quality: dict[str, float]
    model: object = field(repr=False)


class _Embedder:
    """Adapter so BERTopic's KeyBERTInspired can embed candidate words with our embedder."""

    def __init__(self, embedder) -> None:
        import_bertopic()
        from bertopic.backend import BaseEmbedder

        class _Backend(BaseEmbedder):
            def embed(inner, documents, verbose=False):  # noqa: N805 - BERTopic's signature
                return embedder.embed(list(documents))

        self.backend = _Backend()


class PhraseAnalyzer:
    """Analyzer for the CountVectorizer: lemmas and two-word phrases of adjacent content words.

    sklearn drops stop words before it forms n-grams, which glues "importance of OC" into the
    bigram "importance oc". Here a stop word or punctuation breaks a phrase instead.
    """

    def __init__(self) -> None:
        import spacy
        from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

        self._nlp = spacy.blank("en")
        self._nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
        self._nlp.initialize()
        self._stop = set(ENGLISH_STOP_WORDS) | self._nlp.Defaults.stop_words

    def terms(self, text: str) -> list[tuple[str, str]]:
        """(term, surface form) pairs: each content lemma, then each adjacent pair."""
        out: list[tuple[str, str]] = []
        previous: tuple[str, str] | None = None
        for token in self._nlp(text):
            # Lookup lemmas strip a plural "s" from acronyms ("OCDS" -> "ocd"); keep them whole.
            lemma = token.lower_ if token.is_upper else token.lemma_.lower()
            content = token.is_alpha and len(lemma) > 1
            if content and lemma not in self._stop and token.lower_ not in self._stop:
                out.append((lemma, token.lower_))
                if previous is not None and previous[0] != lemma:
                    out.append((f"{previous[0]} {lemma}", f"{previous[1]} {token.lower_}"))
                previous = (lemma, token.lower_)
            else:
                previous = None
        return out

    def __call__(self, text: str) -> list[str]:
        return [term for term, _ in self.terms(text)]


def _vectorizer(n_docs: int):
    from sklearn.feature_extraction.text import CountVectorizer

    return CountVectorizer(
        analyzer=PhraseAnalyzer(),
        # On small corpora every word is rare; on large ones, words seen once are noise.
        min_df=1 if n_docs < 1000 else 2,
    )


def _seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)


def import_bertopic():
    """Import BERTopic (and UMAP) once, without umap-learn's import-time warning.

    umap-learn warns that TensorFlow is missing, which only its ParametricUMAP needs; this
    project never uses it.
    """
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Tensorflow not installed", category=ImportWarning)
        import bertopic
        import umap  # noqa: F401
    return bertopic


def _build_model(n_docs: int, embedder, cfg: TopicConfig):
    import_bertopic()
    from bertopic import BERTopic
    from bertopic.representation import KeyBERTInspired, MaximalMarginalRelevance
    from bertopic.vectorizers import ClassTfidfTransformer
    from umap import UMAP

    umap = UMAP(
        n_neighbors=min(n_neighbors_for(n_docs), n_docs - 1),
        n_components=min(cfg.n_components, max(2, n_docs - 2)),
        min_dist=0.0,
        metric="cosine",
        random_state=cfg.seed,
        low_memory=True,
    )
    clusterer = WardClusterer(cfg.n_topics, cfg.min_topic_size, cfg.max_fit_docs, cfg.seed)
    return BERTopic(
        embedding_model=_Embedder(embedder).backend if embedder is not None else None,
        umap_model=umap,
        hdbscan_model=clusterer,
        vectorizer_model=_vectorizer(n_docs),
        ctfidf_model=ClassTfidfTransformer(reduce_frequent_words=True),
        representation_model=[
            KeyBERTInspired(top_n_words=cfg.top_n_words, random_state=cfg.seed),
            MaximalMarginalRelevance(diversity=0.3, top_n_words=cfg.top_n_words),
        ]
        if embedder is not None and cfg.keybert
        else MaximalMarginalRelevance(diversity=0.3, top_n_words=cfg.top_n_words),
        top_n_words=cfg.top_n_words,
        calculate_probabilities=False,
        verbose=False,
    )


@dataclass(frozen=True)
class _TermStats:
    """Which quotes contain each term, and the most common way each term is written."""

    doc_terms: list[set[str]]
    surface: dict[str, str]

    @classmethod
    def build(cls, texts: Sequence[str], analyzer: PhraseAnalyzer) -> _TermStats:
        doc_terms: list[set[str]] = []
        forms: dict[str, Counter] = {}
        for text in texts:
            pairs = analyzer.terms(text)
            doc_terms.append({t for t, _ in pairs})
            for term, form in pairs:
                forms.setdefault(term, Counter())[form] += 1
        surface = {t: c.most_common(1)[0][0] for t, c in forms.items()}
        return cls(doc_terms, surface)

    def lift(self, term: str, members: np.ndarray) -> float:
        """How much more often ``term`` occurs in the topic's quotes than in the corpus."""
        in_topic = sum(term in self.doc_terms[i] for i in members) / max(len(members), 1)
        overall = sum(term in d for d in self.doc_terms) / max(len(self.doc_terms), 1)
        return in_topic / overall if overall else 0.0


# A label word must be at least this many times more frequent in its topic than in the corpus:
# words every topic shares (the organisation's own name, "need", "good") then never label one.
MIN_LABEL_LIFT = 2.0


def _label(keywords: Sequence[str], lifts: Sequence[float], n: int = 3) -> str:
    """Readable label: up to ``n`` specific keywords that don't repeat a word already used."""
    specific = [kw for kw, lift in zip(keywords, lifts) if lift >= MIN_LABEL_LIFT]
    chosen: list[str] = []
    used: set[str] = set()
    for kw in specific or list(keywords):
        words = set(kw.split())
        if words & used:
            continue
        chosen.append(kw)
        used |= words
        if len(chosen) == n:
            break
    return ", ".join(chosen)


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
) -> TopicFit:
    """Fit topics on ``quotes`` with their precomputed ``embeddings``.

    Args:
        quotes: the corpus, in a fixed order (the order is part of the seeded input).
        embeddings: (n, dim) unit vectors aligned with ``quotes``.
        embedder: used by KeyBERTInspired to embed candidate keywords; without it, keywords
            come from c-TF-IDF with MMR only.
        config: topic settings.

    Returns:
        Topics, the assignment of each quote, centroids and quality figures.
    """
    from nlp.topic_quality import quality_report

    cfg = config or TopicConfig()
    texts = [q.text for q in quotes]
    if len(texts) < max(cfg.min_topic_size, 3):
        raise ValueError(f"need at least {max(cfg.min_topic_size, 3)} quotes to fit topics, got {len(texts)}")
    _seed_everything(cfg.seed)
    model = _build_model(len(texts), embedder, cfg)
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
            model.update_topics(texts, topics=topics, vectorizer_model=model.vectorizer_model,
                                ctfidf_model=model.ctfidf_model,
                                representation_model=model.representation_model,
                                top_n_words=cfg.top_n_words)
    assignments = np.asarray(model.topics_, dtype=int)
    centroids = topic_centroids(assignments, embeddings)
    stats = _TermStats.build(texts, model.vectorizer_model.analyzer)
    records: list[Topic] = []
    for tid in sorted(centroids):
        members = np.flatnonzero(assignments == tid)
        terms = [w for w, _ in (model.get_topic(tid) or []) if w]
        lifts = [stats.lift(t, members) for t in terms]
        keywords = tuple(stats.surface.get(t, t) for t in terms)
        records.append(
            Topic(
                topic_id=tid,
                label=_label(keywords, lifts),
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
    return TopicFit(records, assignments.tolist(), centroids, quality, model)


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
