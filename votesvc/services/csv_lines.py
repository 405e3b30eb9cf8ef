"""CSV uploads read with the line each record starts on, for refusals that name a line.

``csv`` counts the lines it has read: after a record whose quoted cell spans lines that is the
record's *last* line, and :class:`csv.DictReader` takes it before skipping blank lines. An
official looking for "line 4" in a spreadsheet looks where the record begins."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator


class NumberedCsv:
    """``text`` as a :class:`csv.DictReader` (:attr:`reader`: its header, restkey ``None``)
    whose records iterate with the line each starts on."""

    def __init__(self, text: str) -> None:
        # newline="": CR-only line ends (old spreadsheet exports) are line ends, not errors
        self._lines = io.StringIO(text, newline="")
        self._start: int | None = None
        self.reader = csv.DictReader(self._source())

    def _source(self) -> Iterator[str]:
        """The text's lines as the reader pulls them (one record at a time, no read-ahead),
        noting the first that is not blank: blank lines between records are skipped."""
        for number, line in enumerate(self._lines, 1):
            if self._start is None and line.strip("\r\n"):
                self._start = number
            yield line

    def __iter__(self) -> Iterator[tuple[int, dict[str | None, str | list[str] | None]]]:
        """``(line the record starts on, record)`` after the header."""
        _ = self.reader.fieldnames  # the header is read first, and is not a record
        self._start = None
        for record in self.reader:
            assert self._start is not None  # a record has a line that is not blank
            yield self._start, record
            self._start = None
