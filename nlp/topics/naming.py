"""Theme names a report writer can put in a heading, taken from the theme's own words.

No generative model runs here, so a name is a phrase that occurs in the theme's quotes: a run of
2 to 6 words that starts and ends on a content word and may hold a few function words inside
("engagement with civil society", "support for action plans"). Each candidate is scored by

* distinctiveness: for each of its content lemmas, the share of the theme's quotes that hold the
  lemma times the log of how much more common it is in the theme than in the corpus (a word the
  whole corpus shares, like the organisation's name, scores nothing);
* a cost for every content word that is not distinctive, so padding does not pay;
* centrality: the candidate's best quote's cosine similarity to the theme's centre;
* support: a phrase written in several quotes beats one written once.

Rules that keep a name about the theme rather than about the talk (``NamingRules``, all on by
default; the bench turns them off for its "before" column):

* meta-talk never names a theme: the phrases of ``nlp.substantive.META_PATTERNS`` ("that's a
  good question", "thanks for your time") are cut out of a quote before phrases are read, its
  filler words ("good", "great", "yeah") break a phrase, and a phrase about the interview itself
  ("pointer question", "interview process") is never a candidate;
* generic heads ("issue", "factor", "change", "field") score nothing and cost like padding, and
  a phrase needs at least one distinctive word that is not generic ("Field and change" is out);
* keyword first: when any candidate holds one of the theme's three first keywords, the best one
  holding the first keyword wins, else the best holding the second, then the third;
* word classes: a name is a noun phrase, not a clause. Without a tagger (no trained pipeline can
  be installed), the word lists of ``spacy-lookups-data`` (WordNet's nouns, verbs and adjectives)
  say which words can only be verbs: such a word never ends a name ("support to replicate"), an
  inflected verb never starts or sits inside one ("Role OC helped in achieve", "Depends on the
  client"), and the stubs of "gonna"/"wanna" break a phrase;
* central names: a top-level theme's keywords pool its sub-themes' (the largest first), so the
  keyword tier would name it after its largest sub-theme; it is named by the phrase that scores
  best over all its quotes instead, and its keywords are ranked by their distinctiveness for
  all its quotes (the fallback and ``parents.keywords`` use that order).
* grammar (``nlp.topics.grammar``): a name has a head that can be a noun, and a generic head
  needs a noun beside it ("Huge topic", "Main concern" are out); a word the words before it
  make a verb ("we love", "to create", "I stopped") starts a name only as an activity, a verb
  of action with its object, written as a gerund ("Creating regional hubs"; "Love OCP" is out);
  an -ing word takes a preposition only when its verb does ("Working with governments", not
  "Adding with their technology"); a name never starts or ends inside a hyphenated word
  ("Putting" of "off-putting") nor ends on a possessor; discourse markers ("at the end of the
  day") are cut out like meta-talk; and a theme whose phrases all score nothing falls back to
  its keywords;
* shared parent: over two or more sub-themes, a top-level name holds a word of more than half
  of them (and scores at least half the best phrase), else it is "X and Y" of its two largest
  sub-themes' short names, when that fits in six words.

A name is in sentence case with acronyms kept, and a word the corpus nearly always capitalises
inside a sentence (``grammar.written_forms``) is capitalised where the quote left it in lower
case ("Urban sprawl in Bowling Green").

Names are unique: themes are named in the order given (top level first, larger first), and a
theme whose best phrase is taken, or says the same content words as a taken one, uses its next
best. Only the theme's most central quotes are read, which keeps the cost flat on big corpora.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from nlp.substantive import FILLER_WORDS, META_PATTERNS
from nlp.topics.grammar import (
    CONNECTORS, DISCOURSE, GENERIC, GRAMMAR_GENERIC, MAX_WORDS, META_NOUNS, NOMINAL_CUES, has_noun_head,
    sentence_case, spans, written_forms,
)
from nlp.topics.keyword_names import fallback_name
from nlp.topics.phrases import PhraseTokenizer, Token

__all__ = [
    "LEGACY_RULES", "MAIN_RULES", "SESSION5_RULES", "NameCandidate", "NamingRules", "PhraseTokenizer", "Token", "name_themes",
    "rank_keywords", "ranked_keywords",
]

CENTRAL_QUOTES = 40  # quotes read per theme, most central first


@dataclass(frozen=True)
class NamingRules:
    """Which of the naming rules apply (see the module docstring); all on by default."""

    meta_talk: bool = True
    generic_heads: bool = True
    keyword_first: bool = True
    word_classes: bool = True
    central_keywords: bool = True
    grammar: bool = True
    shared_parent: bool = True


# The names as they were before any of these rules; before the word-class and central-keyword
# rules; and before the grammar and shared-parent rules, for the bench's before/after tables.
LEGACY_RULES = NamingRules(False, False, False, False, False, False, False)
MAIN_RULES = NamingRules(word_classes=False, central_keywords=False, grammar=False, shared_parent=False)
SESSION5_RULES = NamingRules(grammar=False, shared_parent=False)

# A content word must carry this much distinctiveness, or it costs the phrase _PADDING_COST.
_MIN_WEIGHT = 0.02
_PADDING_COST = 0.06


@dataclass(frozen=True)
class NameCandidate:
    """A phrase as written in a quote, with the lemmas it stands for."""

    text: str
    content: frozenset[str]
    score: float
    inner: str = ""  # as written inside a sentence ("the private sector"), for "X and Y"


def _without_meta(text: str) -> str:
    """The text with every meta-talk phrase replaced by a break, the rest as written."""
    for pattern in META_PATTERNS:
        text = pattern.sub(" | ", text)
    return text


def _candidates(
    member_texts: Sequence[str],
    similarity: Sequence[float],
    weight: Mapping[str, float],
    tok: PhraseTokenizer,
    rules: NamingRules = NamingRules(),
    nominal: frozenset[str] = frozenset(),
    forms: Mapping[str, str] | None = None,
) -> list[NameCandidate]:
    forms = forms or {}
    found: dict[tuple[str, ...], list] = {}
    filler = FILLER_WORDS if rules.meta_talk else frozenset()
    generic = (GRAMMAR_GENERIC if rules.grammar else GENERIC) if rules.generic_heads else frozenset()
    for text, sim in zip(member_texts, similarity):
        text = _without_meta(text) if rules.meta_talk else text
        tokens = tok.tokens(DISCOURSE.sub(" | ", text) if rules.grammar else text)
        for i, j, verb_first in spans(tokens, filler, rules.word_classes, rules.grammar, nominal):
            span = tokens[i:j]
            if verb_first:  # an activity: "create regional hubs" -> "Creating regional hubs"
                ing = tok.gerund(span[0].lemma)
                span = [span[0]._replace(lower=ing, written=ing), *span[1:]]
            if rules.grammar and not has_noun_head(span, verb_first):
                continue
            key = tuple(t.lemma for t in span)
            entry = found.setdefault(key, [0, -1.0, span, i == 0])
            entry[0] += 1
            if sim > entry[1]:
                entry[1], entry[2], entry[3] = sim, span, i == 0
    out = []
    for key, (count, sim, span, first) in found.items():
        content = [t.lemma for t in span if t.content]
        if len(set(content)) < len(content):  # "data data" and the like
            continue
        if rules.meta_talk and META_NOUNS.intersection(content):
            continue
        if rules.generic_heads and not any(c not in generic and weight.get(c, 0.0) >= _MIN_WEIGHT for c in content):
            continue
        if rules.word_classes and not _tail_says_something(span, generic, weight):
            continue
        gain = sum(weight.get(c, 0.0) for c in content if c not in generic)
        padding = sum(c in generic or weight.get(c, 0.0) < _MIN_WEIGHT for c in content)
        score = (gain - _PADDING_COST * padding) * (0.5 + 0.5 * max(sim, 0.0)) * (1 + 0.1 * math.log(count))
        # A bare run of function words between two content words reads badly past a couple.
        score -= 0.01 * sum(not t.content for t in span)
        written = sentence_case(span, first, forms)
        inner = sentence_case(span, first, forms, capitalise=False)
        out.append(NameCandidate(written, frozenset(content), score, inner))
    out.sort(key=lambda c: (-c.score, len(c.text), c.text))
    return out


def _tail_says_something(span: Sequence[Token], generic: frozenset[str], weight: Mapping[str, float]) -> bool:
    """After a connector, the last run of content words holds a distinctive word that is not
    generic: "Private sector to a certain extent" and "... at this point" pad a name out."""
    cut = max((k for k, t in enumerate(span) if not t.content), default=-1)
    tail = [t.lemma for t in span[cut + 1:] if t.content]
    return cut < 0 or any(c not in generic and weight.get(c, 0.0) >= _MIN_WEIGHT for c in tail)


def _weights(members: Sequence[int], doc_lemmas: Sequence[set[str]], doc_freq: Counter, n_docs: int) -> dict[str, float]:
    in_theme = Counter(lemma for i in members for lemma in doc_lemmas[i])
    size = max(len(members), 1)
    out = {}
    for lemma, k in in_theme.items():
        p_theme, p_all = k / size, doc_freq[lemma] / n_docs
        out[lemma] = p_theme * math.log(p_theme / p_all) if p_all else 0.0
    return out


def name_themes(
    groups: Mapping[int, Sequence[int]],
    texts: Sequence[str],
    embeddings: np.ndarray,
    centroids: Mapping[int, np.ndarray],
    keywords: Mapping[int, Sequence[str]] | None = None,
    tokenizer: PhraseTokenizer | None = None,
    reserved: Sequence[str] = (),
    rules: NamingRules = NamingRules(),
    pooled: Collection[int] = (),
    children: Mapping[int, Sequence[int]] | None = None,
    kept: Mapping[int, str] | None = None,
) -> dict[int, str]:
    """A unique 2-6 word name for each theme, extracted from its central quotes.

    Args:
        groups: theme id -> indices of its quotes in ``texts``; themes are named in this
            order, so put the ones that matter most (top level, larger) first.
        texts: every quote of the corpus (the distinctiveness baseline).
        embeddings: unit vectors aligned with ``texts``.
        centroids: theme id -> unit centroid.
        keywords: theme id -> its keyword list, most distinctive first: a name holds one of
            the first three when any candidate does, and it is the fallback when none qualifies.
        tokenizer: a shared ``PhraseTokenizer`` (built when omitted).
        reserved: names already taken (a researcher's pinned labels); no theme gets one.
        rules: which naming rules apply (``LEGACY_RULES`` gives the names before them).
        pooled: themes whose keywords pool other themes' lists (top-level themes): with the
            central-keywords rule they are ranked by ``rank_keywords`` first.
        children: top-level theme -> its sub-themes (ids in ``groups``): with the shared-parent
            rule, a top-level theme's name holds a word of more than half of its sub-themes, else
            it joins its two largest sub-themes' short names ("Data quality and cloud costs").
        kept: theme id -> the label it keeps from the last run (``nlp.topics.label_memory``);
            taken before any other theme is named, so no other name repeats it.
    """
    tok = tokenizer or PhraseTokenizer()
    doc_lemmas = [tok.lemmas(t) for t in texts]
    doc_freq = Counter(lemma for lemmas in doc_lemmas for lemma in lemmas)
    nominal = _nominal(texts, tok) if rules.grammar else frozenset()
    forms = written_forms(tok.tokens(t) for t in texts)
    names: dict[int, str] = {}
    pools: dict[int, list[NameCandidate]] = {}
    taken_text: set[str] = {r.lower() for r in reserved}
    taken_content: set[frozenset[str]] = {frozenset(tok.lemmas(r)) for r in reserved}
    kids_of = {p: [k for k in ks if k in groups] for p, ks in (children or {}).items()} if rules.shared_parent else {}
    held: dict[int, set[str]] = {}  # a sub-theme's lemmas, for the share of sub-themes a parent name covers
    deferred = []

    def free_of(pool: list[NameCandidate]) -> list[NameCandidate]:
        return [c for c in pool if c.text.lower() not in taken_text and c.content not in taken_content
                and (c.score > 0 or not rules.grammar)]

    def covers(candidate: NameCandidate, kids: list[int]) -> int:
        for k in kids:
            if k not in held:
                held[k] = set().union(*(doc_lemmas[i] for i in groups[k]))
        return sum(bool(candidate.content & held[k]) for k in kids)

    def take(theme: int, chosen: str) -> None:
        names[theme] = chosen
        taken_text.add(chosen.lower())
        taken_content.add(frozenset(tok.lemmas(chosen)))

    def read(theme: int) -> tuple[np.ndarray, dict[str, float], list[NameCandidate]]:
        """A theme's central quotes, its word weights and its candidate names (kept in ``pools``)."""
        members = np.asarray(groups[theme], dtype=int)
        central = _central(members, embeddings, centroids[theme], CENTRAL_QUOTES)
        weight = _weights(members.tolist(), doc_lemmas, doc_freq, len(texts))
        pools[theme] = _candidates(
            [texts[i] for i in central], embeddings[central] @ centroids[theme], weight, tok, rules, nominal, forms
        )
        return central, weight, pools[theme]

    kept = {theme: label for theme, label in (kept or {}).items() if theme in groups}
    for theme, label in kept.items():
        take(theme, label)
    for theme in groups:
        if theme in kept:
            continue
        central, weight, pool = read(theme)
        free = free_of(pool)
        own = list((keywords or {}).get(theme, ()))
        whole = rules.central_keywords and theme in pooled
        if whole:
            own = rank_keywords(own, weight, tok)
        # A top-level theme's name is the phrase that fits all its quotes best: a keyword tier
        # would hand it to one sub-theme's word (measured with bench.theme_labels).
        if rules.keyword_first and not whole:
            ranked = [frozenset(tok.lemmas(kw)) for kw in own[:3]]
            # Stable sort: a candidate with the most distinctive keyword first, then the next
            # keyword's; each tier stays in score order, and one with none comes last.
            free.sort(key=lambda c: next((r for r, kw in enumerate(ranked) if c.score > 0 and c.content & kw), len(ranked)))

        def fallback(theme=theme, own=own, weight=weight, central=central) -> str:
            return fallback_name(theme, own, weight, taken_text, tok, rules.word_classes, [texts[i] for i in central])

        kids = kids_of.get(theme, [])
        if len(kids) >= 2:
            # Over several sub-themes, a name speaks for more than half of them (and scores at
            # least half the best), or the theme waits for its sub-themes' names and joins the
            # two largest ("X and Y").
            floor = max((c.score for c in free), default=0.0) / 2
            free = [c for c in free if covers(c, kids) > len(kids) / 2 and c.score >= floor]
            if not free:
                deferred.append((theme, fallback))
                continue
        take(theme, free[0].text if free else fallback())
    for theme, fallback in deferred:
        kids = sorted(kids_of[theme], key=lambda k: (-len(groups[k]), k))
        shorts = [_short(names.get(k, ""), pools[k] if k in pools else read(k)[2]) for k in kids]
        joined = _joined(shorts, taken_text, taken_content)
        free = free_of(pools[theme])
        take(theme, joined or (free[0].text if free else fallback()))
    return names


def _nominal(texts: Sequence[str], tok: PhraseTokenizer) -> frozenset[str]:
    """-ing words the corpus uses as nouns somewhere: after a determiner ("the funding")."""
    out = set()
    for text in texts:
        tokens = tok.tokens(text)
        out.update(t.lower for a, t in zip(tokens, tokens[1:]) if t.lower.endswith("ing") and a.lower in NOMINAL_CUES)
    return frozenset(out)


def _short(name: str, pool: Sequence[NameCandidate]) -> NameCandidate | None:
    """A sub-theme's name when it is short (≤ 3 words, no connector such as "and" or "for"), else
    its best short phrase: "X and Y" of two such reads one way only."""
    def short(c: NameCandidate) -> bool:
        words = c.text.lower().split()
        return c.score > 0 and len(words) <= 3 and not CONNECTORS.intersection(words)

    return next((c for c in pool if c.text == name and short(c)), None) or next(filter(short, pool), None)


def _joined(shorts: Sequence[NameCandidate | None], taken_text: set[str], taken_content: set[frozenset[str]]) -> str | None:
    """ "X and Y" of two short phrases, the first two that fit in MAX_WORDS and are free, of the first three."""
    found = [c for c in shorts if c is not None][:3]
    for a, x in enumerate(found):
        for y in found[a + 1:]:
            text = f"{x.text} and {y.inner or y.text}"
            if len(text.split()) <= MAX_WORDS and text.lower() not in taken_text and x.content | y.content not in taken_content:
                return text
    return None


def _central(members, embeddings: np.ndarray, centre: np.ndarray, n: int) -> np.ndarray:
    """The ``n`` members most like ``centre``, most central first."""
    members = np.asarray(members, dtype=int)
    return members[np.argsort(-(embeddings[members] @ centre), kind="stable")[:n]]


def rank_keywords(keywords: Sequence[str], weight: Mapping[str, float], tok: PhraseTokenizer) -> list[str]:
    """Keywords by their distinctiveness for a theme's own quotes (mean over their lemmas), stable.

    A top-level theme's keywords pool its sub-themes' lists; ranked this way, the first ones are
    what most of its quotes share, not what its largest sub-theme says.
    """

    def score(keyword: str) -> float:
        lemmas = tok.lemmas(keyword)
        return sum(weight.get(x, 0.0) for x in lemmas) / len(lemmas) if lemmas else 0.0

    return sorted(keywords, key=lambda kw: -score(kw))


def ranked_keywords(
    groups: Mapping[int, Sequence[int]], keywords: Mapping[int, Sequence[str]], texts: Sequence[str],
    tok: PhraseTokenizer, n: int = 10,
) -> dict[int, tuple[str, ...]]:
    """Each theme's first ``n`` keywords by ``rank_keywords`` against the whole corpus ``texts``."""
    doc_lemmas = [tok.lemmas(t) for t in texts]
    doc_freq = Counter(lemma for lemmas in doc_lemmas for lemma in lemmas)
    return {
        g: tuple(rank_keywords(keywords.get(g, ()), _weights(list(m), doc_lemmas, doc_freq, len(texts)), tok)[:n])
        for g, m in groups.items()
    }
