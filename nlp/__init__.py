"""Interview-analysis library: ingest, quotes, embeddings, topics, sentiment, recommendations.

Nothing here imports Prefect; ``flows/`` wires these stages into an orchestrated run.
"""

import os as _os

# Runtime is offline by contract: huggingface_hub and transformers read these once, when they
# are first imported, so they must be set before any submodule can pull them in.
_os.environ["HF_HUB_OFFLINE"] = "1"
_os.environ["TRANSFORMERS_OFFLINE"] = "1"
_os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
