"""Leiden communities as topics: clear groups found, the asked count met, little moved by the seed."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import adjusted_rand_score

from nlp.topics import TopicConfig, fit_topics
from nlp.topics.clustering import knn_graph
from nlp.topics.communities import GraphLayout, LeidenClusterer, leiden_partition
from tests.test_spectral_layout import _blobs, _quotes, run_then_add_a_file


def test_clear_groups_are_found_whatever_the_seed():
    x, groups = _blobs()
    graph = knn_graph(x, 10)
    for seed in (1, 2):
        labels = leiden_partition(graph, 6, min_size=3, seed=seed)
        assert adjusted_rand_score(groups, labels) == pytest.approx(1.0)


def test_the_resolution_is_bisected_to_the_count_asked_for():
    x, _ = _blobs(n_per=30, spread=0.9)
    graph = knn_graph(x, 10)
    # At least the graph's six components: Leiden's communities are connected.
    for k in (8, 12):
        labels = leiden_partition(graph, k, min_size=1, seed=0)
        assert labels.max() + 1 == k
    # Numbered largest first.
    sizes = np.bincount(leiden_partition(graph, 12, min_size=1, seed=0))
    assert list(sizes) == sorted(sizes, reverse=True)


def test_communities_below_min_size_are_outliers():
    x, _ = _blobs(n_per=30, spread=0.9)
    labels = leiden_partition(knn_graph(x, 10), 40, min_size=5, seed=0)
    kept = labels[labels >= 0]
    assert (labels == -1).any() and np.bincount(kept).min() >= 5


def test_consensus_holds_overlapping_groups_steadier_than_one_run():
    x, _ = _blobs(n_per=30, n_groups=8, spread=1.2)
    graph = knn_graph(x, 10)

    def spread(runs: int) -> float:
        parts = [leiden_partition(graph, 12, 3, seed, runs=runs) for seed in range(3)]
        return float(np.mean([adjusted_rand_score(a, b) for i, a in enumerate(parts) for b in parts[i + 1:]]))

    assert spread(30) > spread(1) + 0.05  # 0.96 against 0.87 when written


def test_the_clusterer_places_fitted_points_in_their_own_community():
    x, groups = _blobs()
    layout = GraphLayout()
    fitted = layout.fit_transform(x * 3.0)  # unit rows whatever the scale
    assert np.allclose(np.linalg.norm(fitted, axis=1), 1.0, atol=1e-5)
    clusterer = LeidenClusterer(n_neighbors=10, n_clusters=6).fit(fitted)
    assert np.array_equal(clusterer.predict(layout.transform(x[::7])), clusterer.labels_[::7])


def test_leiden_topics_through_the_topic_stage(fake_embedder):
    x, groups = _blobs(n_per=15, spread=0.5)
    quotes = _quotes(groups)
    fits = [fit_topics(quotes, x, fake_embedder, TopicConfig(seed=s, keybert=False, layout="leiden", n_topics=6))
            for s in (1, 2)]
    assert fits[0].assignments == fits[1].assignments
    assert adjusted_rand_score(groups, fits[0].assignments) == pytest.approx(1.0)
    # The saved layout is what the communities were found in: the joined vectors, one row per quote.
    assert fits[0].layout.shape[0] == len(quotes) and fits[0].layout.shape[1] >= x.shape[1]


def test_a_run_and_a_rerun_with_a_new_file_work_with_leiden(tmp_path, seed_path, fake_models):
    first, second = run_then_add_a_file(tmp_path, seed_path, fake_models, "leiden")
    assert first.nunique() > 3
    assert second.reindex(first.index).notna().all()
