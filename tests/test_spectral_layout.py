"""The spectral topic layout: the same topics whatever the seed, and clusters it can see."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import adjusted_rand_score

from nlp.schemas import Quote
from nlp.topics import TopicConfig, fit_topics
from nlp.topics.clustering import SpectralLayout, WardClusterer
from nlp.topics.config import n_topics_for
from nlp.topics.model import spectral_dims

WORDS = {
    0: "helpdesk training support",
    1: "private sector companies",
    2: "evidence impact measurement",
    3: "funding budget donors",
    4: "data quality publication",
    5: "government procurement reform",
}


def _blobs(n_per: int = 20, n_groups: int = 6, spread: float = 0.35, seed: int = 0):
    """Unit vectors in ``n_groups`` groups around random centres, and each one's group."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(n_groups, 64))
    groups = np.repeat(np.arange(n_groups), n_per)
    x = centres[groups] / np.linalg.norm(centres[groups], axis=1, keepdims=True)
    x = x + rng.normal(scale=spread / np.sqrt(64), size=x.shape)
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32), groups


def _quotes(groups) -> list[Quote]:
    texts = [f"{WORDS[g]} point {i}" for i, g in enumerate(groups)]
    return [Quote(f"q{i}", "f.txt", "s", "", f"r{i}", None, True, t, 0, len(t)) for i, t in enumerate(texts)]


def test_layout_separates_clear_groups_and_is_the_same_every_time():
    x, groups = _blobs()
    first = SpectralLayout(n_neighbors=10, n_dims=5).fit_transform(x)
    again = SpectralLayout(n_neighbors=10, n_dims=5).fit_transform(x.copy())
    assert np.array_equal(first, again)
    found = WardClusterer(n_clusters=6).fit(first).labels_
    assert adjusted_rand_score(groups, found) == pytest.approx(1.0)


def test_tiny_noise_in_the_vectors_keeps_the_clusters():
    x, groups = _blobs(spread=0.6)
    noisy = x + np.random.default_rng(1).normal(scale=1e-6, size=x.shape).astype(np.float32)
    base = WardClusterer(n_clusters=6).fit(SpectralLayout(10, 5).fit_transform(x)).labels_
    moved = WardClusterer(n_clusters=6).fit(SpectralLayout(10, 5).fit_transform(noisy)).labels_
    assert adjusted_rand_score(base, moved) == pytest.approx(1.0)


def test_new_points_land_beside_their_nearest_fitted_points():
    x, groups = _blobs()
    layout = SpectralLayout(n_neighbors=10, n_dims=5)
    fitted = layout.fit_transform(x)
    labels = WardClusterer(n_clusters=6).fit(fitted)
    placed = layout.transform(x[::7])
    assert np.array_equal(labels.predict(placed), labels.labels_[::7])


def test_transform_before_fit_says_so():
    with pytest.raises(RuntimeError, match="before fit"):
        SpectralLayout(5).transform(np.ones((2, 3)))


def test_spectral_topics_do_not_depend_on_the_seed(fake_embedder):
    x, groups = _blobs(n_per=15, spread=0.8)
    quotes = _quotes(groups)
    fits = [fit_topics(quotes, x, fake_embedder, TopicConfig(seed=s, keybert=False, layout="spectral")) for s in (1, 2, 3)]
    assert fits[0].assignments == fits[1].assignments == fits[2].assignments
    # The saved layout is the spectral one (a reader of layout.parquet gets what Ward cut).
    n = len(quotes)
    assert fits[0].layout.shape == (n, spectral_dims(n_topics_for(n)))


def test_an_unknown_layout_is_refused_by_name(fake_embedder):
    x, groups = _blobs(n_per=5)
    with pytest.raises(ValueError, match="unknown topic layout 'tsne'"):
        fit_topics(_quotes(groups), x, fake_embedder, TopicConfig(layout="tsne"))


def run_then_add_a_file(tmp_path, seed_path, fake_models, layout: str):
    """Topic ids per quote id after a run on the seed, and after a rerun with one short file added."""
    import shutil

    from nlp.config import PipelineConfig
    from nlp.run import run_pipeline
    from nlp.tables import read_table

    (tmp_path / "raw").mkdir()
    shutil.copy(seed_path, tmp_path / "raw")
    config = PipelineConfig(raw_dir=tmp_path / "raw", out_dir=tmp_path / "out", cache_dir=tmp_path / "cache",
                            topics=TopicConfig(layout=layout))
    assert run_pipeline(config, models=fake_models(config)).status == "ok"
    first = read_table(config.out_dir, "quotes").set_index("quote_id")["topic_id"]
    (tmp_path / "raw" / "later.md").write_text(
        "# Later\n\nThe helpdesk answered quickly.\n\nFunding for local partners is the main gap.\n", encoding="utf-8"
    )
    assert run_pipeline(config, models=fake_models(config)).status == "ok"
    return first, read_table(config.out_dir, "quotes").set_index("quote_id")["topic_id"]


def test_a_run_and_a_rerun_with_a_new_file_work_with_the_spectral_layout(tmp_path, seed_path, fake_models):
    from nlp.config import PipelineConfig
    from nlp.run import run_pipeline
    from nlp.tables import read_table

    first, second = run_then_add_a_file(tmp_path, seed_path, fake_models, "spectral")
    assert len(second) == len(first) + 2  # the new file's two paragraphs
    assert second.reindex(first.index).notna().all()
    # The layout draws no random number: the same quotes fitted again give the same topics. How
    # far ids move when a file is added depends on the vectors, and the fake ones mean nothing;
    # with the bundled model 87.6% of the seed's quotes kept theirs (README, "Topics that hold still").
    config = PipelineConfig(raw_dir=tmp_path / "raw", out_dir=tmp_path / "out", cache_dir=tmp_path / "cache",
                            topics=TopicConfig(layout="spectral"))
    assert run_pipeline(config, force=True, models=fake_models(config)).status == "ok"
    again = read_table(config.out_dir, "quotes").set_index("quote_id")["topic_id"]
    assert again.equals(second)
