"""Asks: detected recommendations from different respondents that ask for the same thing.

People rarely phrase one request alike ("Bring in the politicians" / "they should engage the
legislature"), so whole-sentence similarity joins few of them. Two quotes are compared on what
they ask for: the ask span (``ask_core.ask_spans``: the action and its object without the
framing "they need more", "it would be good to") and the whole sentence, taking the closer of
the two unless the spans are far apart (``SPAN_FLOOR``); a span that says every word of the
other's is as close as the threshold (``CONTAINED_FLOOR``). Grouping is average linkage with a
conservative threshold: a wrong merge inflates a count a report writer trusts, a missed one only
leaves two rows. A request and its negation ("should not be legalized") are never one ask
(``span_words.negated``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from nlp.recommendations.ask_core import ask_spans, framed
from nlp.recommendations.ask_names import name_ask
from nlp.recommendations.verb_classes import comparable_spans
from nlp.recommendations.candidates import recommendation_id, score_candidate, topic_shares
from nlp.recommendations.span_words import contained_pairs, content_words, names_something, negated
from nlp.schemas import Quote, Recommendation

__all__ = [
    "ASK_THRESHOLD",
    "CONTAINED_FLOOR",
    "JOIN_FLOOR",
    "SPAN_FLOOR",
    "UNFRAMED_SPEECH",
    "build_asks",
    "group_asks",
    "names_something",
    "pair_similarity",
    "respondent_of",
]

ASK_THRESHOLD = 0.73
"""Average-linkage similarity at or above which two groups of recommendations are one ask.

Similarity of two quotes is the larger of the cosine of their ask spans (verbs in classes) and
the cosine of their whole texts (all-MiniLM-L6-v2). Chosen on the development half of
``bench/data/ask_groups.tsv`` (Polis proposals, 140 same-ask pairs): pairwise precision and
recall of "same ask" are 0.75 / 0.61 at 0.68, 0.81 / 0.59 at 0.70, 0.885 / 0.55 from 0.72 to
0.73, 0.88 / 0.47 at 0.74 and 0.90 / 0.46 at 0.76 (with the ask spans of 2026-12-03; those of
2026-12-02 gave the same shape, 0.88 / 0.51 at 0.72-0.73). Below 0.72 precision falls away;
above it recall goes for little precision.
"""

CONTAINED_FLOOR = 0.5
"""Similarity from which two quotes, one of whose ask spans says every content word of the other
(two at least), are one ask: "They need more advanced planning" and "would be nice to have an
advanced agenda or planning sharing system in place" (0.66; spans "advanced planning", "advanced
agenda or planning sharing system"). Measured on ``bench/data/ask_groups.tsv`` at ``ASK_THRESHOLD``
(``bench.recommendation_quality --asks-only``, rows ``pipeline`` and ``spans``): development
half, pairwise P / R of "same ask" 0.884 / 0.543 -> 0.892 / 0.593 (7 more pairs right, none more
wrong); test half 0.900 / 0.281 -> 0.906 / 0.302. Floors 0.45 and 0.55 give the same figures,
and one shared word instead of two adds wrong pairs ("sidewalks!" and "Holly drive sidewalks").
The floor keeps apart a long, different ask that happens to use both words; the guards of
``span_words.contained_pairs`` and ``content_words`` (size, names, asking against) came from
wrong merges on Polis and newsgroup text (README, "Recommendations and asks").
"""

SPAN_FLOOR = 0.3
"""Below this cosine of their ask spans, two quotes are as close as their spans, however alike the wholes.

Two quotes about one subject can be close as wholes and ask for different things ("OCP is
creating a field but needs more strengthening" / "... there is no need to increase their
scope": whole texts 0.76, spans 0.07). On the development half of ``bench/data/ask_groups.tsv``
at 0.73 the floor changes one or two pairs either way (0: P 0.88 R 0.47; 0.3: 0.87 / 0.46; 0.5:
0.89 / 0.45), within the noise of 140 pairs; 0.3 is kept for the case above.
"""

UNFRAMED_SPEECH = 0.5
"""Share of its confidence an ask said in conversation without a frame counts in its score.

In a transcript a bare imperative more often narrates or reports ("Come back an hour later.",
"Document a notation we had to do.") than asks, where a frame ("we need", "should", "it would
be good to": ``ask_core.framed``) asks; in writing a bare imperative is a plain request ("Bring
in the politicians."), so only quotes with a ``speaker`` are discounted. On the 38 asks of the
8 mlsys transcripts, read by hand (the data the rule was written on; no labelled transcripts
exist here), 12 of the 17 framed asks were requests a report writer would list and 3 of the 21
unframed; the report page's ten single-respondent asks went from 5 such requests to 8. It moves
no ask from one support level to another, and nothing without a speaker.
"""

JOIN_FLOOR = 0.3
"""Classifier probability from which an undetected quote may join an ask another respondent made.

A request can score below the run's threshold on its own and still plainly ask for what someone
else asked for: "OCP could interfere and get involved with politicians in order to persuade the
government ..." reads 0.34 beside "Bring in the politicians." (0.91). Such a quote joins an ask
(``join_asks``) only if it asks in form (``ask_core.framed``), comes from a respondent the ask
does not hold yet, and its ask span is on average as close to the detected members' spans as two
groups must be to merge (``ASK_THRESHOLD``); it never starts an ask or joins another joined
quote, so it can add support to a request that was detected but cannot create one. Measured on
``bench/data/ask_groups.tsv`` with each item's own classifier confidence at the default
threshold 0.72 (items below it undetected; ``bench.recommendation_quality``, rows ``detected``
and ``joining``): development half, same-ask pairs P / R 0.805 /
0.236 without joins, 0.800 / 0.286 with (3 joins, 1 a near miss: "Businesses need to pick up
the litter" to "address its litter problem"); comparing whole quotes as well as spans gave
0.774 / 0.293 (5 joins, 2 wrong). Test half: 0.857 / 0.062 -> 0.909 / 0.104. Floors of 0.1,
0.2 and 0.3 give the same development figures, 0.4 and 0.5 0.783 / 0.257, 0.6 0.767 / 0.236;
0.3 is the highest that keeps them, so the fewest doubted quotes are compared.
"""

def respondent_of(quote: Quote) -> str:
    """Who said ``quote``: its ``respondent_id`` when the quote carries one, else its response."""
    return getattr(quote, "respondent_id", None) or quote.response_id


def pair_similarity(full_sims: np.ndarray, span_sims: np.ndarray) -> np.ndarray:
    """Similarity of quote pairs from their whole-text and ask-span cosines.

    The closer of the two, unless the ask spans are below ``SPAN_FLOOR``: then the spans'
    cosine, so that a shared subject does not join two different asks.
    """
    return np.where(span_sims >= SPAN_FLOOR, np.maximum(full_sims, span_sims), span_sims)


def _apart(sims: np.ndarray, neg: np.ndarray | None, rows: slice | np.ndarray, cols: slice | np.ndarray) -> np.ndarray:
    """``sims`` with the pairs of which one asks for a thing and the other against it at -1."""
    if neg is not None:
        sims[neg[rows][:, None] != neg[cols][None, :]] = -1.0
    return sims


def _similar_pairs(
    full: np.ndarray, span: np.ndarray, threshold: float, neg: np.ndarray | None = None, block: int = 1024
):
    """(i, j, similarity) for i < j with ``pair_similarity`` >= ``threshold``, never across ``neg``."""
    n = len(full)
    rows, cols, values = [], [], []
    for start in range(0, n, block):
        sims = pair_similarity(full[start : start + block] @ full.T, span[start : start + block] @ span.T)
        sims = _apart(sims, neg, slice(start, start + block), slice(None))
        for offset, row in enumerate(sims):
            i = start + offset
            # float32 products can land a hair below the float64 value: keep a small margin.
            js = np.flatnonzero(row[i + 1 :] >= threshold - 1e-5) + i + 1
            rows += [i] * len(js)
            cols += js.tolist()
            values += row[js].tolist()
    return np.asarray(rows, dtype=np.int64), np.asarray(cols, dtype=np.int64), np.asarray(values)


def group_asks(
    full: np.ndarray, span: np.ndarray, threshold: float = ASK_THRESHOLD, negative: Sequence[bool] | None = None,
    words: Sequence[frozenset[str]] | None = None,
) -> list[list[int]]:
    """Indices of the rows that form each ask, by average linkage at ``threshold``.

    Average linkage never joins two groups unless some pair across them reaches the threshold,
    so each ask lies inside one connected component of the graph of pairs at or above it. The
    linkage therefore runs per component, which keeps 10,000 recommendations to seconds.

    Args:
        full: (n, d) unit vectors of the whole quotes.
        span: (n, d) unit vectors of their ask spans.
        threshold: similarity at or above which two groups merge.
        negative: per row, whether it asks for a thing not to be (``span_words.negated``); a
            row is never in one ask with a row that asks the opposite.
        words: per row, the content words of its ask span (``span_words.content_words``); two
            rows of which one says all the other's words are as close as ``threshold`` if
            their similarity reaches ``CONTAINED_FLOOR`` (``_contained``).

    Returns:
        Groups of row indices, each sorted, in order of their first row.
    """
    from scipy.cluster.hierarchy import fcluster, linkage
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    full = np.asarray(full, dtype=np.float32)
    span = np.asarray(span, dtype=np.float32)
    n = len(full)
    if n == 0:
        return []
    neg = None if negative is None else np.asarray(negative, dtype=bool)
    i, j, _ = _similar_pairs(full, span, threshold, neg)
    raised = _contained(full, span, words, neg)
    i, j = np.concatenate([i, raised[:, 0]]), np.concatenate([j, raised[:, 1]])
    graph = coo_matrix((np.ones(len(i)), (i, j)), shape=(n, n))
    _, component = connected_components(graph, directed=False)
    groups: list[list[int]] = []
    for c in np.unique(component):
        members = np.flatnonzero(component == c)
        if len(members) == 1:
            groups.append(members.tolist())
            continue
        sims = pair_similarity(full[members] @ full[members].T, span[members] @ span[members].T).astype(np.float64)
        sims = _apart(sims, neg, members, members)
        inside = raised[np.isin(raised[:, 0], members)]
        if len(inside):
            a, b = np.searchsorted(members, inside[:, 0]), np.searchsorted(members, inside[:, 1])
            sims[a, b] = sims[b, a] = np.maximum(sims[a, b], threshold)
        distance = 1.0 - sims[np.triu_indices(len(members), k=1)]
        tree = linkage(np.clip(distance, 0.0, 2.0), "average")
        labels = fcluster(tree, t=1.0 - threshold + 1e-9, criterion="distance")
        for label in np.unique(labels):
            groups.append(members[labels == label].tolist())
    return sorted(groups, key=lambda g: g[0])


def _contained(
    full: np.ndarray, span: np.ndarray, words: Sequence[frozenset[str]] | None, neg: np.ndarray | None
) -> np.ndarray:
    """(k, 2) rows ``i < j`` whose spans hold one the other's words (``contained_pairs``) and whose
    ``pair_similarity`` reaches ``CONTAINED_FLOOR``, never one asking against the other."""
    pairs = np.asarray(contained_pairs(words) if words is not None else [], dtype=np.int64).reshape(-1, 2)
    i, j = pairs[:, 0], pairs[:, 1]
    sims = pair_similarity(np.einsum("ij,ij->i", full[i], full[j]), np.einsum("ij,ij->i", span[i], span[j]))
    keep = sims >= CONTAINED_FLOOR - 1e-5
    if neg is not None:
        keep &= neg[i] == neg[j]
    return pairs[keep]


def build_asks(
    quotes: Sequence[Quote],
    embeddings: np.ndarray,
    is_rec: Sequence[bool],
    confidence: Sequence[float],
    topic_ids: Sequence[int],
    embed: Callable[[Sequence[str]], np.ndarray],
    threshold: float = ASK_THRESHOLD,
    join_floor: float | None = JOIN_FLOOR,
) -> list[Recommendation]:
    """Group the detected recommendations into asks, one ``Recommendation`` per ask.

    Quotes with ``duplicate_of`` set repeat a quote already counted and are left out, and so is
    a transcript turn's quote (one with a ``speaker``) whose ask span names nothing
    (``names_something``: "Go fix it.", "remove them"). A quote below the detection threshold
    joins an ask when it plainly asks for the same thing as its detected members
    (``JOIN_FLOOR``, ``join_asks``). Each ask carries a short extractive
    ``name`` (what its most central detected member asks for, ``ask_names.name_ask``), ``support`` (distinct
    respondents, see ``respondent_of``), its member ``quote_ids``, ``response_ids`` and
    ``respondent_ids`` in input order, and the ``sections`` its members come from. ``text``,
    ``quote_id``, ``section`` and ``topic_id`` are those of the most confident detected member.
    ``score`` is ``score_candidate`` over respondents, with the most confident member's confidence
    (halved for a turn of speech without a frame: ``UNFRAMED_SPEECH``); asks come sorted by support, then score,
    then id, so an ask several people make always ranks above any one person's.

    Args:
        quotes: all quotes of the run, aligned with the other arguments.
        embeddings: (n, d) unit-length vectors of the quotes.
        is_rec: classifier decision per quote.
        confidence: classifier probability per quote, in [0, 1].
        topic_ids: topic per quote; -1 for outliers.
        embed: turns ask spans into unit vectors of the same model as ``embeddings``.
        threshold: grouping threshold (``ASK_THRESHOLD``).
        join_floor: an undetected quote at or above this confidence may join an ask of other
            respondents (``JOIN_FLOOR``, ``join_asks``); ``None``: only detected quotes.

    Raises:
        ValueError: the inputs do not have one entry per quote, or ``embed`` returns the wrong shape.
    """
    embeddings = np.asarray(embeddings, dtype=np.float32)
    n = len(quotes)
    if embeddings.ndim != 2 or embeddings.shape[0] != n:
        raise ValueError(f"embeddings of shape {embeddings.shape} do not match {n} quotes")
    for name, other in (("is_rec", is_rec), ("confidence", confidence), ("topic_ids", topic_ids)):
        if len(other) != n:
            raise ValueError(f"got {len(other)} {name} values for {n} quotes; all inputs must align")
    detected = [i for i in range(n) if is_rec[i] and quotes[i].duplicate_of is None]
    # Said in conversation, an ask that names nothing ("Go fix it.", "remove them") points at
    # what was said before; a report writer cannot act on it, so it makes no ask.
    kept = [(i, span) for i, span in zip(detected, ask_spans([quotes[i].text for i in detected]))
            if names_something(span) or not quotes[i].speaker]
    members = [i for i, _ in kept]
    if not members:
        return []
    pool = [] if join_floor is None else [
        i for i in range(n)
        if not is_rec[i] and quotes[i].duplicate_of is None and confidence[i] >= join_floor and framed(quotes[i].text)
    ]
    # An undetected quote whose span names nothing ("Um", "Fix it") has nothing to join on.
    pool_spans = [(i, s) for i, s in zip(pool, ask_spans([quotes[i].text for i in pool])) if names_something(s)]
    pool = [i for i, _ in pool_spans]
    spans = [span for _, span in kept] + [span for _, span in pool_spans]
    comparable = comparable_spans(spans)
    span_vectors = np.asarray(embed(comparable), dtype=np.float32)
    if span_vectors.shape != (len(spans), embeddings.shape[1]):
        raise ValueError(f"embed returned shape {span_vectors.shape} for {len(spans)} ask spans")
    full = embeddings[members + pool]
    empty = np.asarray([not names_something(span) for span in spans], dtype=bool)
    span_vectors[empty] = full[empty]
    m = len(members)
    # "Marijuana should not be legalized" is never one ask with "Marijuana should be legalized".
    neg = np.asarray([negated(span, quotes[i].text) for i, span in kept + pool_spans], dtype=bool)
    words = [content_words(span) for span in comparable[:m]]
    groups = group_asks(full[:m], span_vectors[:m], threshold, neg[:m], words)
    who = [respondent_of(quotes[i]) for i in members + pool]
    joined = join_asks(groups, span_vectors, who, m, threshold, neg)
    shares, n_respondents = topic_shares(quotes, topic_ids, respondent_of)
    asks = []
    for group, extra in zip(groups, joined):
        detected = [members[g] for g in group]
        rows = sorted(detected + [pool[g - m] for g in extra])
        head = min(detected, key=lambda i: (-float(confidence[i]), i))
        central = _most_central(group, full, span_vectors, [confidence[members[g]] for g in group])
        respondents = tuple(dict.fromkeys(respondent_of(quotes[i]) for i in rows))
        quote_ids = tuple(quotes[i].quote_id for i in rows)
        topic = int(topic_ids[head])
        asks.append(
            Recommendation(
                recommendation_id=recommendation_id(quote_ids),
                text=quotes[head].text,
                quote_id=quotes[head].quote_id,
                section=quotes[head].section,
                topic_id=topic,
                support=len(respondents),
                score=score_candidate(len(respondents), _weight(quotes[head]) * float(confidence[head]),
                                      shares.get(topic, 0.0), n_respondents),
                quote_ids=quote_ids,
                response_ids=tuple(dict.fromkeys(quotes[i].response_id for i in rows)),
                name=name_ask(spans[central], quotes[members[central]].text),
                respondent_ids=respondents,
                sections=tuple(dict.fromkeys(quotes[i].section for i in rows)),
            )
        )
    return sorted(asks, key=lambda a: (-a.support, -a.score, a.recommendation_id))


def _weight(quote: Quote) -> float:
    """How much of its confidence ``quote`` counts in its ask's score (``UNFRAMED_SPEECH``)."""
    return UNFRAMED_SPEECH if quote.speaker and not framed(quote.text) else 1.0


def join_asks(
    groups: list[list[int]],
    span: np.ndarray,
    who: Sequence[str],
    n_members: int,
    threshold: float,
    negative: np.ndarray | None = None,
    block: int = 512,
) -> list[list[int]]:
    """For each group of detected rows, the undetected rows (``n_members`` on) that join it.

    A row joins the group whose ask spans are closest to its own on average (cosine of ``span``
    to the group's detected rows) if that average reaches ``threshold``, the bar two groups must
    clear to merge, and its respondent (``who``) is not in the group yet. Only the spans count:
    a quote the classifier doubts must ask for the same thing, not only talk about the same
    subject ("Corporations are not persons and the Citizens United decision needs to be
    overturned" is 0.78 from a detected ask as a whole and 0.31 as spans). Rows are compared
    with detected rows only, so joins never chain. Ties go to the earlier group. A row that asks
    the opposite of a member (``negative`` differs) counts as -1 to that member.
    """
    from scipy.sparse import csr_matrix

    joined: list[list[int]] = [[] for _ in groups]
    if len(span) == n_members or not groups:
        return joined
    # Group means as one product: member i holds 1/len(group) in its group's column.
    cols = np.concatenate([np.full(len(g), k) for k, g in enumerate(groups)])
    member_rows = np.concatenate([np.asarray(g) for g in groups])
    weights = np.concatenate([np.full(len(g), 1.0 / len(g)) for g in groups])
    average = csr_matrix((weights, (member_rows, cols)), shape=(n_members, len(groups)))
    held: dict[str, set[int]] = {}
    for k, group in enumerate(groups):
        for i in group:
            held.setdefault(who[i], set()).add(k)
    for start in range(n_members, len(span), block):
        stop = min(start + block, len(span))
        sims = _apart(span[start:stop] @ span[:n_members].T, negative, slice(start, stop), slice(0, n_members))
        means = np.asarray((average.T @ sims.T.astype(np.float64)).T)
        for offset, row_means in enumerate(means):
            row = start + offset
            taken = held.setdefault(who[row], set())
            if taken:
                row_means[list(taken)] = -np.inf
            best = int(np.argmax(row_means))  # the first of equal means: the earlier group
            # float32 products can land a hair below the float64 value: keep a small margin.
            if row_means[best] >= threshold - 1e-5:
                joined[best].append(row)
                taken.add(best)
    return joined


def _most_central(group: list[int], full: np.ndarray, span: np.ndarray, confidence: Sequence[float]) -> int:
    """Position (in ``group``) of the member most similar on average to the others; of members
    equally similar (two members always are), the more confident, then the first.

    Similarities are compared to six decimals, so which member names an ask never turns on the
    last bits of a vector (which differ between CPUs)."""
    if len(group) == 1:
        return group[0]
    sims = pair_similarity(full[group] @ full[group].T, span[group] @ span[group].T)
    np.fill_diagonal(sims, 0.0)
    mean = np.round(sims.sum(axis=1) / (len(group) - 1), 6)
    return group[min(range(len(group)), key=lambda k: (-mean[k], -float(confidence[k]), k))]
