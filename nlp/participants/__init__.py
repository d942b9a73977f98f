"""Participant attributes: who said it (group, role, region, date, ...), joined to respondents.

A participants file is a CSV/TSV or an ``.xlsx`` sheet (the first one) with a header row. One
column is the key that names a respondent, the others are attributes:

- ``respondent_id``: a respondent as ``quotes.parquet`` names it;
- ``file`` and ``speaker``: one speaker of one raw file (speaker labels such as
  ``Interviewee`` repeat across transcripts, so they need the file);
- ``speaker`` alone: a speaker label that appears in only one file;
- ``file`` alone: every respondent of a raw file (the whole interview);
- a column named like a column of a survey CSV in the run (its id column, say ``ResponseId``).

Survey CSV columns other than the text column, the row's id and speaker columns are attributes
too, without any participants file, except the contact columns (``withheld_survey_columns``) and
the platform's own record of the response (start and end time, duration, progress, status:
``survey_metadata_columns``). Where a participants file and a survey name the same
attribute, the participants file wins. Respondents the file does not list are logged and get
the value ``"unknown"`` for each of its attributes, so they form a group of their own.

Bad files are refused with a ``ParticipantsError`` that names the file, the row (as the
spreadsheet numbers it: the header is row 1) and the column: a missing key column or key value,
a key naming an unknown file or respondent, the same key twice, an empty attribute value.
"""

from nlp.participants.join import (
    ATTRIBUTE_PREFIX,
    attribute_column_names,
    join_attributes,
    quote_attribute_columns,
    respondent_key,
    survey_attribute_names,
    survey_metadata_columns,
    withheld_survey_columns,
)
from nlp.participants.read import (
    UNKNOWN,
    ParticipantRow,
    ParticipantsError,
    ParticipantTable,
    RespondentAttributes,
    read_participants,
)

__all__ = [
    "ATTRIBUTE_PREFIX",
    "UNKNOWN",
    "ParticipantRow",
    "ParticipantTable",
    "ParticipantsError",
    "RespondentAttributes",
    "attribute_column_names",
    "join_attributes",
    "quote_attribute_columns",
    "read_participants",
    "respondent_key",
    "survey_attribute_names",
    "survey_metadata_columns",
    "withheld_survey_columns",
]
