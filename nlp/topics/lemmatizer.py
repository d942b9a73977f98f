"""spaCy's lookup lemmatizer for the topic stage's keyword terms and theme naming's tokens.

Both read lemmas with ``spacy.blank("en")`` and the lookup lemmatizer, whose ``initialize``
decompresses and parses spacy-lookups-data's ``lemma_lookup`` table (about 0.15 CPU s). They
and the recommendations' ask cores only read text, so all share one pipeline per process
(``lookup_lemmatizer``); its table is handed over through spaCy's ``[initialize]`` settings, where a pipeline's ``initialize`` would
otherwise load it, so a pipeline built elsewhere (an unpickled keyword analyser) reuses it too.
"""

from __future__ import annotations

import functools

from nlp.startup import import_spacy

__all__ = ["lookup_lemmatizer"]

# The registered name of ``_lemma_tables`` in spaCy's ``misc`` registry.
_TABLES = "interviews.lemma_lookup_tables.v1"


@functools.cache
def _lemma_tables():
    """The tables a lookup-mode lemmatizer loads (``Lemmatizer.get_lookups_config("lookup")``)."""
    from spacy.lookups import load_lookups

    return load_lookups("en", ["lemma_lookup"])


@functools.cache
def lookup_lemmatizer():
    """A ``spacy.blank("en")`` pipeline with the lookup lemmatizer, initialised with the process's tables.

    One per process: keyword terms, theme naming and ask cores read text with it and change nothing in it.
    """
    spacy = import_spacy()
    if _TABLES not in spacy.registry.misc:
        spacy.registry.misc.register(_TABLES, func=_lemma_tables)
    nlp = spacy.blank("en")
    nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
    nlp.config["initialize"]["components"]["lemmatizer"] = {"lookups": {"@misc": _TABLES}}
    nlp.initialize()
    return nlp
