"""The one exception type readers raise for an input file they cannot use."""

from __future__ import annotations

__all__ = ["IngestError"]


class IngestError(Exception):
    """An input file that cannot be ingested, and why.

    The dispatcher turns it into ``InputRecord(status="error", error=str(exc))``, so ``str``
    must name the file and read well on its own in a log line or the run manifest.

    Attributes:
        file: The input's name as recorded in the manifest (usually the file name).
        reason: A short, user-facing explanation without the file name.
        line: the 1-based line at fault, where a reader knows it (a CSV record it cannot parse).
    """

    def __init__(self, file: str, reason: str, line: int | None = None) -> None:
        super().__init__(file, reason)
        self.file = file
        self.reason = reason
        self.line = line

    def __str__(self) -> str:
        return f"{self.file}: {self.reason}"
