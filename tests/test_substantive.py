"""What counts: the substantive rule, the language rule and respondent counting."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from nlp.analysable import (
    analysable,
    annotate_quotes,
    exclusion_summary,
    language_note,
    respondents_per_topic,
)
from nlp.ingest import read_survey_csv, read_transcript
from nlp.language import LanguageConfig, detect_languages
from nlp.quotes import split_quotes
from nlp.schemas import Quote
from nlp.substantive import non_substantive_reason, substantive_flags

TRANSCRIPTS = Path(__file__).resolve().parents[2] / "shared" / "data" / "interviews-mlsys"


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("Mm hmm.", "backchannel"),
        ("Yeah.", "backchannel"),
        ("Okay, cool. Yeah, yeah.", "backchannel"),
        ("No.", "backchannel"),  # a bare yes/no cannot stand for a theme on its own
        ("Can you hear me?", "meta"),
        ("Thanks, that's all.", "meta"),
        ("Good luck, have a nice day.", "meta"),
        ("That's a really good question. Let me think.", "meta"),
        ("I don't remember.", "meta"),
        ("Sorry for all the beeping.", "meta"),
        # Talk about the interview's own questions, and the interviewee's introduction.
        ("It's not an easy question to answer.", "meta"),
        ("Well, if I answer no to the previous question, I must answer.", "meta"),
        ("I'll stop talking that much. You can go on with the other question.", "meta"),
        ("Do you want me to introduce myself first?", "meta"),
        ("Yeah, maybe if you come by.", "fragment"),  # "maybe" hedges; it names nothing
        ("It's a mess.", "fragment"),
        # spaCy splits "gonna" into "gon" "na" and "gotta" into "got" "ta": none is a content word.
        ("You're gonna see it more and more.", "backchannel"),
        ("We gotta go, cuz I dunno.", "backchannel"),
        ("...", "empty"),
    ],
)
def test_talk_that_says_nothing_is_not_substantive(text: str, reason: str) -> None:
    assert non_substantive_reason(text, spoken=True) == reason


@pytest.mark.parametrize(
    "text",
    [
        "The data pipeline breaks every week.",
        "No, we never retrain the model after deployment.",
        "Yeah, the labels were wrong for half the images.",
        "Thanks, the helpdesk answered within a day.",
        "Cookies are a mess.",
        # "question" about the subject, not about the interview
        "Again, it's a question of money for the client.",
        "So to answer your question, the client always supplies the data.",
    ],
)
def test_statements_about_the_subject_are_substantive(text: str) -> None:
    assert non_substantive_reason(text, spoken=True) is None


def test_a_one_word_written_answer_counts_but_a_spoken_one_does_not() -> None:
    assert substantive_flags(["Price.", "Price.", "Thanks!"], [False, True, False]) == [
        True, False, False
    ]


def test_meta_talk_needs_one_more_content_word() -> None:
    assert non_substantive_reason("Let me think about language models.") == "meta"
    assert non_substantive_reason("Let me think: language models drift in production.") is None


class _FakeIdentifier:
    """French when the text holds 'le ', else English; confident only on long text."""

    def classify(self, text: str) -> tuple[str, float]:
        return ("fr" if "le " in text else "en"), (0.99 if len(text) > 60 else 0.5)


def test_short_quotes_take_their_files_language() -> None:
    texts = [
        "Nous utilisons le modèle chaque semaine pour le tableau de bord.",
        "Oui.",  # too short to judge: the file is French
        "Okay le",  # looks French but too short: the file is English
        "We use the model every week for the dashboard and the weekly forecast.",
    ]
    languages = detect_languages(
        texts, ["fr.txt", "fr.txt", "en.txt", "en.txt"], identifier=_FakeIdentifier()
    )
    assert languages == ["fr", "fr", "en", "en"]


def test_a_long_confident_quote_keeps_its_own_language() -> None:
    texts = ["We use it weekly.", "Nous utilisons le modèle chaque semaine pour le tableau de bord."]
    languages = detect_languages(
        texts, ["a.txt", "a.txt"], identifier=_FakeIdentifier(), config=LanguageConfig(min_chars=40)
    )
    assert languages == ["fr", "fr"]  # the file is French overall; the long quote is too


def test_the_real_identifier_tells_french_from_english() -> None:
    texts = [
        "Pour nous, la qualité des données est le problème principal de chaque projet.",
        "For us, data quality is the main problem in every single project we run.",
    ]
    assert detect_languages(texts, ["fr.txt", "en.txt"]) == ["fr", "en"]


def _q(n: int, respondent: str, *, substantive: bool = True, language: str = "en",
       duplicate_of: str | None = None) -> Quote:
    return Quote(
        quote_id=f"q{n}", source_file="f.txt", section="S", question="", response_id=f"r{n}",
        speaker=None, is_direct_quote=False, text="text", char_start=0, char_end=4,
        duplicate_of=duplicate_of, respondent_id=respondent, is_substantive=substantive,
        language=language,
    )


def test_themes_count_people_not_turns_and_skip_what_is_not_analysable() -> None:
    quotes = [
        _q(1, "ana"), _q(2, "ana"), _q(3, "ana"),  # one person, three turns
        _q(4, "bo"),
        _q(5, "cy", substantive=False),  # "Yeah, okay."
        _q(6, "di", language="fr"),
        _q(7, "ed", duplicate_of="q4"),
        _q(8, "bo"),
    ]
    topics = [0, 0, 0, 0, 0, 0, 0, 1]
    assert analysable(quotes) == [True, True, True, True, False, False, True, True]
    assert respondents_per_topic(quotes, topics) == {0: 2, 1: 1}
    summary = exclusion_summary(quotes)
    assert summary["non_substantive"] == 1 and summary["other_language"] == 1
    assert summary["languages"] == {"en": 7, "fr": 1}


def test_a_note_says_what_another_language_kept_out_and_which_files_are_not_analysed_at_all() -> None:
    from dataclasses import replace

    french = [replace(_q(n, "cy", language=lang), source_file="fr.txt") for n, lang in ((3, "fr"), (4, "fr"), (5, "de"))]
    chatter = replace(_q(6, "cy", substantive=False), source_file="fr.txt")  # "Okay." is English, and nothing
    note = language_note([_q(1, "ana"), _q(2, "bo", language="fr"), *french, chatter])
    assert note.startswith("4 quotes not in English (fr 3, de 1)")
    assert note.endswith("none of fr.txt is analysed")  # f.txt still has an English quote
    assert language_note([_q(1, "ana"), _q(2, "bo", substantive=False, language="fr")]) is None


def test_annotate_judges_transcripts_as_speech_and_surveys_as_writing() -> None:
    transcript = read_transcript("Q: What matters?\nA: Price.\n", "t.txt", "abc")
    survey = read_survey_csv("id,answer\n1,Price.\n", "s.csv", "abc")
    quotes = annotate_quotes(split_quotes([transcript, survey]), [transcript, survey],
                             identifier=_FakeIdentifier())
    assert [(q.source_file, q.is_substantive) for q in quotes] == [
        ("t.txt", False), ("s.csv", True)
    ]


@pytest.mark.skipif(not TRANSCRIPTS.is_dir(), reason=f"{TRANSCRIPTS} absent (needs ../shared)")
def test_real_transcripts_one_respondent_each_no_tiny_substantive_quote_french_apart() -> None:
    from nlp.ingest import ingest_dir

    result = ingest_dir(TRANSCRIPTS)
    quotes = annotate_quotes(split_quotes(result.documents), result.documents)
    for doc in result.documents:
        mine = [q for q in quotes if q.source_file == doc.source_file]
        # Each file is one interview with one interviewee.
        assert len({q.respondent_id for q in mine}) == 1, doc.source_file
        assert len({q.response_id for q in mine}) > 1
    for q in quotes:
        if len(re.findall(r"\w+", q.text)) <= 2:
            assert not q.is_substantive, q.quote_id
    french = {q.language for q in quotes if q.source_file == "Interview 2.txt"}
    assert french == {"fr"}
    assert {q.language for q in quotes if q.source_file != "Interview 2.txt"} == {"en"}
    assert sum(analysable(quotes)) < len(quotes)
    topics = [0] * len(quotes)
    assert respondents_per_topic(quotes, topics)[0] == len(result.documents) - 1  # French out


@pytest.mark.skipif(not TRANSCRIPTS.is_dir(), reason=f"{TRANSCRIPTS} absent (needs ../shared)")
def test_a_run_on_real_transcripts_counts_people_and_keeps_filler_out(tmp_path, fake_models):
    import json
    import shutil

    from nlp import tables
    from nlp.config import PipelineConfig
    from nlp.run import run_pipeline

    raw = tmp_path / "raw"
    shutil.copytree(TRANSCRIPTS, raw)
    config = PipelineConfig(raw_dir=raw, out_dir=tmp_path / "out", cache_dir=tmp_path / "cache")
    assert run_pipeline(config, models=fake_models(config)).status == "ok"
    quotes = tables.QUOTES.read(config.out_dir)
    topics = tables.TOPICS.read(config.out_dir)
    kept_out = ~quotes["is_substantive"] | (quotes["language"] != "en")
    assert kept_out.any() and (quotes.loc[kept_out, "topic_id"] == -1).all()
    assert not quotes.loc[kept_out, "is_recommendation"].any()
    # Seven English interviews, one interviewee each: no theme can count more people.
    assert topics["n_respondents"].max() <= 7
    assert (topics["n_respondents"] <= topics["n_responses"]).all()
    counts = json.loads((config.out_dir / "run_manifest.json").read_text())["counts"]
    assert counts["respondents"] == 7
    assert counts["other_language_quotes"] == (quotes["language"] == "fr").sum() - (
        ~quotes["is_substantive"] & (quotes["language"] == "fr")
    ).sum()
    assert counts["analysable_quotes"] == (~kept_out).sum()
    # The report and the manifest say why one interview of eight is missing.
    (note,) = json.loads((config.out_dir / "run_manifest.json").read_text())["notes"]
    assert note.endswith("none of Interview 2.txt is analysed")


@pytest.mark.parametrize(
    "text",
    [
        "Don't hit me, Mr. Smith.",  # "Mr." is one token, no word
        "We cannot, gonna, wanna do it.",  # the tokenizer's special cases split or rewrite them
        '"(Quality)," she said; [data]: yes!',
        "In my .Xresources I had a space after XTerm*font: 10x20.",
        "Possibly something in .Xdefaults???",
        "well-known e.g. stuff... naïve café",
    ],
)
def test_words_counted_without_the_tokenizer_are_content_words_to_it(text: str) -> None:
    # The shortcut may settle a quote as substantive only on words the tokenizer counts too.
    from nlp.substantive import _plain_content_words, content_words

    assert _plain_content_words(text) <= len(content_words(text))
