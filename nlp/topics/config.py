"""Settings of the topic stage and how they scale with corpus size."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["TopicConfig", "n_neighbors_for", "n_topics_for"]


def n_topics_for(n_docs: int) -> int:
    """How many clusters (sub-themes) to ask for: 1.6 * sqrt(n), within [2, 120].

    Measured with ``bench.human_coding`` on the same layouts (Ward cut at each count): code
    recovery rises with the count up to about 1.6-1.8 * sqrt(n) on Banking77 (0.68 at 1.2, 0.73
    at 1.6, falling past 2.0) and keeps rising on the finely coded why-art answers (0.31 at 1.2,
    0.33 at 1.6), while the seed's reader themes land as often at either level (the top level
    holds the coarse ones). NMI on 20 Newsgroups changes little between sqrt(n) and 2 * sqrt(n)
    (``bench.topics_quality``). Silhouette (layout or embedding), the largest Ward gap and
    subsample stability were tried as data-driven choices: none followed code recovery on any
    coded set (flat on why-art), so the count stays a measured rule. The old cap of 60 bound
    from 2,500 quotes on and cost Banking77 0.03 F1; above 8,000 quotes Ward is fitted on a
    sample anyway (``TopicConfig.max_fit_docs``).
    """
    return int(min(120, max(2, round(1.6 * np.sqrt(n_docs)))))


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
        lexical_weight: weight of the quotes' shared words beside their embedding in the
            layout (``nlp.topics.lexical``); 0 lays them out by the embedding alone.
        context_weight: weight of a quote's neighbouring sentences of the same paragraph
            beside its own embedding in the layout (``nlp.topics.context``); 0 turns it off.
        layout: ``"umap"`` (seeded, stochastic) or ``"spectral"``: the leading eigenvectors of
            UMAP's own neighbour graph (``nlp.topics.clustering.SpectralLayout``), which draws no
            random number, so a refit or another seed gives the same topics; up to
            ``SPECTRAL_MAX_DOCS`` quotes, UMAP above. Not the default: it scored lower on
            Banking77 and 20 Newsgroups (README, "Topics that hold still"). ``"leiden"``:
            no layout; Leiden communities of the same neighbour graph of the joined vectors, a
            consensus of 50 seeded runs (``nlp.topics.communities``); up to
            ``SPECTRAL_MAX_DOCS`` quotes, UMAP above.
        max_placed_share: on a rerun that only adds quotes, the new ones are placed in the
            previous UMAP layout (``nlp.topics.stability.plan_layout``) instead of fitting UMAP
            again, as long as the quotes placed since the last full fit are at most this share
            of all; past it, or at 0, UMAP is fitted on the whole corpus.
        layout_sample: above this many quotes, UMAP is fitted on a seeded sample of this many
            and the others are placed in its layout (``nlp.topics.sampled.SampledLayout``);
            0 (the default) fits UMAP on every quote. At 4,000 it took 0.2-0.27x the stage's CPU
            time at 10k-30k quotes but lost 0.011-0.029 NMI against 20 Newsgroups, more than
            UMAP seeds move it (README, "Scale"), so it is not on by default.
        exact_neighbours_max: from umap's 4,096-point bound up to this many quotes, UMAP is
            given each quote's exact neighbours (``nlp.topics.neighbours``) instead of running
            NN-descent, whose numba compile each new process pays (about 8 s once ``make
            setup`` has cached the kernels numba can keep, ``nlp.startup``; 18-35 s before);
            0 leaves the search to umap.
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
    lexical_weight: float = 0.3
    context_weight: float = 0.3
    layout: str = "umap"
    max_placed_share: float = 0.2
    layout_sample: int = 0
    exact_neighbours_max: int = 30_000
