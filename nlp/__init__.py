"""Interview-analysis library: ingest, quotes, embeddings, topics, sentiment, recommendations.

Nothing here imports Prefect; ``flows/`` wires these stages into an orchestrated run.
"""

import os as _os

from nlp.startup import cache_home as _startup_cache_home

# Runtime is offline by contract: huggingface_hub and transformers read these once, when they
# are first imported, so they must be set before any submodule can pull them in.
_os.environ["HF_HUB_OFFLINE"] = "1"
_os.environ["TRANSFORMERS_OFFLINE"] = "1"
_os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
# numba reads this once, when it is first imported: UMAP's kernels are then compiled once per
# machine instead of once per process (nlp/startup.py switches their caching on).
_os.environ.setdefault("NUMBA_CACHE_DIR", str(_startup_cache_home() / "numba"))
