"""Word lists behind the recommendation rule cues.

Kept apart from ``rules`` so the patterns stay readable. Without a POS tagger every cue is
lexical, so these lists stand in for "is a base-form verb", "is an evaluative adjective" and so
on. They are general English, not the vocabulary of one domain: the cues must work on forum
posts, reviews, interview answers and consultation responses alike.
"""

from __future__ import annotations

__all__ = [
    "ADVICE_NOUNS",
    "CLAUSE_OBJECT_VERBS",
    "FINITE_AFTER_SUBJECT",
    "GOOD",
    "IMPERATIVE_VERBS",
    "LEADING_FILLERS",
    "LEADING_PHRASES",
    "NOT_AFTER_IMPERATIVE",
    "NOT_IN_SUBJECT",
    "SUGGEST",
]

# Verbs that, in base form at the start of a sentence, clause or bullet, almost always give an
# order or advice. Words whose noun reading often starts a statement ("work", "design", "test",
# "view", "record", "display", "access") are left out, because without a tagger "Design is
# clean" would look like an order; the remaining noun/verb words ("support", "book", "stay") are
# guarded by NOT_AFTER_IMPERATIVE.
IMPERATIVE_VERBS = frozenset(
    """
    accept act adapt add adopt advertise aim align allocate allow apply appoint approach arrange
    arrive ask assign attend avoid be bear beware book borrow bring build buy cancel carry
    catch change check choose clarify clear collaborate combine come commit communicate compare
    complain concentrate confirm connect consider consolidate consult contact continue
    contribute coordinate cover create cut deal decide dedicate define delay deliver demand
    describe develop devote do document dress drive eat educate eliminate embrace emphasise
    emphasize empower enable encourage engage enjoy ensure enter establish evaluate examine
    expand expect experiment explain explore extend feel fight fill find fix focus follow forget
    fund gather get give go grab hand head help highlight hire hold identify ignore implement
    improve include increase inform insist install integrate introduce invest invite involve
    join keep learn leave let limit listen look maintain make measure meet mention merge
    minimise minimize monitor move notify offer open opt order organise organize pack pay
    pick plan prepare prioritise prioritize promote protect provide publish pull push put
    raise reach read recognise recognize reconsider reduce reflect reinforce reinstate relax
    rely remember remind remove rename rent repeat replace request require reserve respect
    respond restore rethink review reward rewrite save schedule see seek select sell send
    separate set share show sign simplify sit skip sort speak specify spend split standardise
    standardize start stay stick stop streamline strengthen submit support switch tackle take
    talk teach tell think train translate treat trust try turn understand unify update upgrade
    use visit wait walk warn watch wear write
    """.split()
)

# A following token that shows the first word was a noun or a finite verb, not an imperative:
# "Support was great", "Book is ...", "Check-in took ages" (a hyphenated compound is a noun).
NOT_AFTER_IMPERATIVE = frozenset(
    "is was are were 's has had have of 'd will would could can did does been - ’s".split()
)

# A finite verb two or three words into a sentence: "Open contracting helps governments",
# "Use cases are ...", "Change management is key". The words before it are a noun phrase, the
# sentence's subject, and the first word is no order (see ``rules._is_imperative``). Besides
# auxiliaries and modals, third-person verbs that are rarely plural nouns.
FINITE_AFTER_SUBJECT = frozenset(
    """
    is are was were 's has have had will would can could should must may might does did
    helps means seems makes remains becomes provides allows enables requires gives takes
    brings creates shows depends
    """.split()
)

# Words that cannot sit inside such a subject: determiners, pronouns, prepositions, particles
# and question words end the phrase ("Bring in the politicians", "Fund projects that are ...").
NOT_IN_SUBJECT = frozenset(
    """
    a an the this that these those my your our their his her its some any all every each no
    it them us me him you i we they he she there what which who whom whose where when why how
    whether in on at to for with of from by into onto up out down off over about away back
    together through forward ahead around and or but as than so if not also more less
    """.split()
)

# Imperatives whose object can be a clause with its own finite verb ("Make sure everything is
# ready", "Check the files are there"): never read as the start of a subject.
CLAUSE_OBJECT_VERBS = frozenset(
    """
    make ensure check verify confirm see remember note know say tell show prove explain decide
    expect insist demand consider find feel think understand imagine assume bear keep hope
    request require trust let mention notify inform warn remind recognise recognize ask learn
    """.split()
)

# Leading words skipped before looking for an imperative or a bare modal: fillers, politeness
# and connectives that speakers put in front of advice ("Definitely try ...", "Also, ask ...").
LEADING_FILLERS = frozenset(
    """
    also and but so then maybe perhaps just really definitely simply otherwise overall however
    still therefore thus hence finally first second third lastly ideally personally honestly
    please oh well ok okay yes yeah now again too or either alternatively optionally instead
    additionally furthermore moreover besides plus absolutely certainly seriously rather always
    """.split()
)

# Multi-word openers skipped the same way ("At least add ...", "In addition, provide ...").
LEADING_PHRASES: tuple[tuple[str, ...], ...] = (
    ("at", "the", "very", "least"),
    ("at", "least"),
    ("in", "addition"),
    ("if", "possible"),
    ("in", "short"),
    ("in", "general"),
    ("in", "any", "case"),
    ("for", "now"),
)

# Evaluative adjectives after "would be", "it would be ... to/if".
GOOD = [
    "nice", "good", "great", "helpful", "useful", "better", "ideal", "awesome", "cool",
    "beneficial", "wonderful", "preferable", "best", "fantastic", "excellent", "important",
    "interesting", "valuable", "worthwhile", "welcome", "handy", "smart", "wise", "sensible",
    "convenient", "easier", "simpler", "appreciated", "desirable", "lovely", "perfect", "amazing",
    "brilliant", "advisable", "appropriate", "reasonable", "logical", "practical", "effective",
    "efficient", "advantageous", "fair", "neat", "superb", "terrific", "safer",
    "cheaper", "faster", "quicker", "clearer",
]

# Words of advising and proposing, whoever is the agent (``rules`` checks the agent).
SUGGEST = [
    "suggest", "suggests", "suggested", "suggesting", "suggestion", "suggestions",
    "recommend", "recommends", "recommended", "recommending", "recommendation",
    "recommendations", "propose", "proposes", "proposed", "proposal", "advise", "advice",
    "urge", "encourage", "request", "requesting",
]

# Nouns that, as the label of a sentence ("Tip: ...", "Suggestion - ..."), announce advice.
ADVICE_NOUNS = [
    "suggestion", "suggestions", "recommendation", "recommendations", "proposal", "advice",
    "tip", "tips", "request", "idea", "hint", "wish",
]
