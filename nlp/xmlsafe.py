"""Text that XML 1.0 can hold: every writer of XML (the REFI-QDA export, the .xlsx report) uses it.

XML 1.0 forbids the C0 control characters other than tab, line feed and carriage return, lone
surrogates, and U+FFFE/U+FFFF; lxml refuses them ("All strings must be XML compatible") and
openpyxl raises ``IllegalCharacterError``. Word and PDF exports carry them (``\\x0b`` is Word's
soft line break, ``\\x0c`` a page break, ``\\x1b`` an escape from a terminal paste). Each is
replaced by one space, never deleted, so a character offset into the text still points at the
same character: the REFI-QDA selections index the source text.
"""

from __future__ import annotations

import re

__all__ = ["xml_safe"]

_FORBIDDEN_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_safe(text: str) -> str:
    """``text`` with every character XML 1.0 forbids replaced by a space (same length).

    Args:
        text: Any string.

    Returns:
        A string of the same length that lxml and openpyxl accept.
    """
    return _FORBIDDEN_RE.sub(" ", text)
