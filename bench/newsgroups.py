"""20 Newsgroups posts, cleaned the way sklearn's ``remove=("headers", "footers", "quotes")`` does.

Headers (``Organization:`` and the like) would leak the label into the text, and quoted replies
repeat other posts, so both go before anything is clustered.
"""

from __future__ import annotations

import gzip
import json
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "20newsgroups" / "20news-bydate.jsonl.gz"
_QUOTE_RE = re.compile(r"(writes in|writes:|wrote:|says:|said:|^In article|^Quoted from|^\||^>)")
MAX_CHARS = 2000  # the model truncates at 256 tokens; longer text only costs tokenizer time


@dataclass(frozen=True)
class Post:
    text: str
    label: str


def _clean(raw: str) -> str:
    _, _, body = raw.partition("\n\n")
    lines = [ln for ln in body.splitlines() if not _QUOTE_RE.search(ln)]
    body = "\n".join(lines)
    if (cut := body.rfind("\n-- ")) != -1 or (cut := body.rfind("\n--\n")) != -1:
        body = body[:cut]
    return " ".join(body.split())[:MAX_CHARS]


def load_posts(path: Path = DATA, min_chars: int = 40) -> list[Post]:
    """All posts with their newsgroup label, cleaned; near-empty posts are dropped."""
    posts = []
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        for line in fh:
            row = json.loads(line)
            text = _clean(row["text"])
            if len(text) >= min_chars:
                posts.append(Post(text, row["label"]))
    return posts


def sample_posts(n: int, seed: int = 0, path: Path = DATA) -> list[Post]:
    """``n`` posts drawn without replacement; smaller samples are prefixes of larger ones."""
    posts = load_posts(path)
    order = np.random.default_rng(seed).permutation(len(posts))
    return [posts[i] for i in order[:n]]
