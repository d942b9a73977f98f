"""Interview-analysis library: ingest, quotes, embeddings, topics, sentiment, recommendations.

Nothing here imports Prefect; ``flows/`` wires these stages into an orchestrated run.
"""

import os as _os

# Runtime is offline by contract: huggingface_hub and transformers read these once, when they
# are first imported, so they must be set before any submodule can pull them in.
_os.environ["HF_HUB_OFFLINE"] = "1"
_os.environ["TRANSFORMERS_OFFLINE"] = "1"
_os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
# NUMBA_CACHE_DIR is deliberately left alone: numba then keeps each cached kernel beside its
# library's source, where pynndescent's shipped ``cache=True`` kernels already live, and a first
# run compiles only the UMAP kernels nlp/startup.py switches to caching. Pointing numba at a
# folder of our own would make every fresh cache recompile pynndescent too (about 50 CPU s).
