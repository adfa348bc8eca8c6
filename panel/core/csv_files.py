"""Reading an uploaded CSV file for an import: limits, encoding, delimiter, header, rows; and
writing a CSV download (:func:`spooled_csv`, cells made :func:`formula_safe`).

The file is read as a stream (``csv`` over a text wrapper of the upload), so a 20 MB file is
never held as 20 MB of Python objects. Problems with the whole file (too large, not UTF-8, an
Excel workbook, unknown columns, too many rows) raise :class:`CsvFileError` with a message that
says what to do; the importers then roll back, so a file is imported whole or not at all.
Problems with one row are the importer's to report, as :class:`RowProblem`.
"""

from __future__ import annotations

import csv
import io
import itertools
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import IO

from panel.core.errors import ValidationError
from panel.core.i18n import LazyText
from panel.core.i18n import lazy_text as _l

MAX_IMPORT_BYTES = 20 * 1024 * 1024
MAX_IMPORT_ROWS = 200_000
MAX_REPORTED_PROBLEMS = 1_000
SAVE_AS_UTF8 = _l(
    "In Excel choose File → Save As → “CSV UTF-8 (Comma delimited)”; in Numbers or LibreOffice "
    "export as CSV with the character set UTF-8."
)
_EXCEL_MAGIC = (b"PK\x03\x04", b"\xd0\xcf\x11\xe0")
_COLUMN_ALIASES = {"e_mail": "email", "mail": "email", "telephone": "phone", "mobile": "phone"}


class CsvFileError(ValidationError):
    """The file as a whole cannot be imported; nothing of it was."""

    code = "invalid_file"


class CsvTooLarge(CsvFileError):
    status = 413
    code = "too_large"


@dataclass(frozen=True)
class RowProblem:
    """Why one row was skipped: its number as a spreadsheet shows it (header = row 1)."""

    row: int
    column: str | None
    message: str | LazyText


@dataclass
class ImportReport:
    """What an import did, row by row."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    problems: list[RowProblem] = field(default_factory=list)
    problems_not_shown: int = 0

    def count(self, outcome: str) -> None:
        """Count one row as "created", "updated" or "unchanged"."""
        setattr(self, outcome, getattr(self, outcome) + 1)

    def skip(self, row: int, problems: Sequence[tuple[str | None, str | LazyText]]) -> None:
        """Count one row as skipped, keeping its problems (up to a limit) for the report."""
        self.skipped += 1
        for column, message in problems:
            if len(self.problems) < MAX_REPORTED_PROBLEMS:
                self.problems.append(RowProblem(row, column, message))
            else:
                self.problems_not_shown += 1

    @property
    def total(self) -> int:
        return self.created + self.updated + self.unchanged + self.skipped


@dataclass(frozen=True)
class CsvRow:
    """One data row: its spreadsheet row number, its non-blank cells by column name, and what is
    wrong with its shape (more values than columns), if anything."""

    number: int
    values: dict[str, str]
    extra: LazyText | None = None


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f}"


def too_large_error(size: int | None, limit: int = MAX_IMPORT_BYTES) -> CsvTooLarge:
    """The error for a file over the import limit (``size`` None when unknown)."""
    if size:
        return CsvTooLarge(
            _l(
                "The file is %(size)s MB; an import can be at most %(limit)s MB. Split it into "
                "smaller files and import them one after another.",
                size=_megabytes(size),
                limit=_megabytes(limit),
            )
        )
    return CsvTooLarge(
        _l(
            "The file is too large; an import can be at most %(limit)s MB. Split it into "
            "smaller files and import them one after another.",
            limit=_megabytes(limit),
        )
    )


def _stream_size(stream: IO[bytes]) -> int | None:
    try:
        position = stream.tell()
        size = stream.seek(0, io.SEEK_END)
        stream.seek(position)
    except (OSError, AttributeError, ValueError):
        return None
    return size - position


class _Source(io.RawIOBase):
    """The upload's bytes for the text wrapper: the bytes already peeked at, then the rest.

    Stops with CsvTooLarge once more than ``limit`` bytes went by (for streams whose size was
    not known up front), and counts line breaks so a decoding error can name its line.
    """

    def __init__(self, prefix: bytes, stream: IO[bytes], limit: int) -> None:
        self._prefix, self._stream, self._limit = prefix, stream, limit
        self._seen = 0
        self.lines_before_chunk = 0  # line breaks before the chunk read last
        self._lines_in_chunk = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        if self._prefix:
            data, self._prefix = self._prefix[: len(buffer)], self._prefix[len(buffer) :]
        else:
            data = self._stream.read(len(buffer))
        self._seen += len(data)
        if self._seen > self._limit:
            raise too_large_error(None, self._limit)
        self.lines_before_chunk += self._lines_in_chunk
        self._lines_in_chunk = data.count(b"\n")
        buffer[: len(data)] = data
        return len(data)

    def line_of(self, exc: UnicodeDecodeError) -> int:
        """The line (1-based) of the bytes the decoder could not read."""
        return self.lines_before_chunk + exc.object[: exc.start].count(b"\n") + 1


def _header_name(raw: str) -> str:
    name = "_".join(raw.strip().strip("\ufeff").lower().replace("-", "_").split())
    return _COLUMN_ALIASES.get(name, name)


def _sniff_delimiter(line: str) -> str:
    counts = {d: line.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


class CsvReader:
    """An open CSV upload whose header has been read and checked. Iterate :meth:`rows`."""

    def __init__(
        self,
        stream: IO[bytes],
        columns: Sequence[str],
        check_header: Callable[[list[str]], str | LazyText | None] | None = None,
        *,
        max_bytes: int | None = None,
        max_rows: int | None = None,
    ) -> None:
        # Limits read at call time, so a deployment (or a test) can set the module's values.
        max_bytes = MAX_IMPORT_BYTES if max_bytes is None else max_bytes
        self.expected = list(columns)
        self.max_rows = MAX_IMPORT_ROWS if max_rows is None else max_rows
        size = _stream_size(stream)
        if size is not None and size > max_bytes:
            raise too_large_error(size, max_bytes)
        start = stream.read(4)
        if any(start.startswith(magic) for magic in _EXCEL_MAGIC):
            raise CsvFileError(
                _l("This is an Excel workbook, not a CSV file. %(how)s", how=SAVE_AS_UTF8),
                code="not_csv",
            )
        self._source = _Source(start, stream, max_bytes)
        self._text = io.TextIOWrapper(
            self._source,  # type: ignore[arg-type]
            encoding="utf-8-sig",
            errors="strict",
            newline="",
        )
        first = self._read_first_line()
        if not first.strip():
            raise CsvFileError(
                _l(
                    "The file is empty: the first row must name the columns, e.g. %(columns)s.",
                    columns=",".join(self.expected),
                ),
                code="empty_file",
            )
        self.delimiter = _sniff_delimiter(first)
        self._reader = csv.reader(
            itertools.chain([first], self._text), delimiter=self.delimiter, strict=False
        )
        self.columns = self._read_header(check_header)

    def _read_first_line(self) -> str:
        try:
            return self._text.readline()
        except UnicodeDecodeError as exc:
            raise _not_utf8(self._source.line_of(exc)) from exc

    def _read_header(self, check: Callable[[list[str]], str | LazyText | None] | None) -> list[str]:
        header = [_header_name(cell) for cell in next(self._reader)]
        blank = _l("(blank)")
        found = ", ".join(h or str(blank) for h in header)
        expected = ", ".join(self.expected)
        unknown = [h or str(blank) for h in header if h not in self.expected]
        if unknown:
            raise CsvFileError(
                _l(
                    "The file has columns we do not know: %(unknown)s. The columns can be: "
                    "%(expected)s (in any order, named in the first row). Found: %(found)s.",
                    unknown=", ".join(unknown),
                    expected=expected,
                    found=found,
                ),
                code="wrong_columns",
            )
        doubled = sorted({h for h in header if header.count(h) > 1})
        if doubled:
            raise CsvFileError(
                _l(
                    "The column %(columns)s appears more than once. Found: %(found)s.",
                    columns=", ".join(doubled),
                    found=found,
                ),
                code="wrong_columns",
            )
        if check is not None and (problem := check(header)):
            raise CsvFileError(
                _l(
                    "%(problem)s The columns can be: %(expected)s. Found: %(found)s.",
                    problem=problem,
                    expected=expected,
                    found=found,
                ),
                code="wrong_columns",
            )
        return header

    def rows(self) -> Iterator[CsvRow]:
        """The data rows with their non-blank cells; blank rows are passed over silently."""
        number = 1
        width = len(self.columns)
        while True:
            try:
                cells = next(self._reader)
            except StopIteration:
                return
            except UnicodeDecodeError as exc:
                raise _not_utf8(self._source.line_of(exc)) from exc
            except csv.Error as exc:
                raise CsvFileError(
                    _l(
                        "Line %(line)s cannot be read as CSV (%(reason)s). Check that the file "
                        "is a CSV export, not a binary file.",
                        line=self._reader.line_num,
                        reason=str(exc),
                    ),
                    code="not_csv",
                ) from exc
            number += 1
            if number - 1 > self.max_rows:
                raise CsvFileError(
                    _l(
                        "The file has more than %(limit)s rows. Split it into smaller files "
                        "and import them one after another.",
                        limit=f"{self.max_rows:,}",
                    ),
                    code="too_many_rows",
                )
            if not any(c.strip() for c in cells):
                continue
            if any("\x00" in c for c in cells):
                raise CsvFileError(
                    _l(
                        "Row %(row)s contains NUL bytes: the file is not plain text. %(how)s",
                        row=number,
                        how=SAVE_AS_UTF8,
                    ),
                    code="not_csv",
                )
            values = {
                column: cell.strip()
                for column, cell in zip(self.columns, cells, strict=False)
                if cell.strip()
            }
            extra = None
            if len(cells) > width and any(c.strip() for c in cells[width:]):
                extra = _l(
                    "The row has %(values)s values but the header names %(columns)s columns "
                    "(a value with the delimiter in it needs quotes).",
                    values=len(cells),
                    columns=width,
                )
            yield CsvRow(number, values, extra)


def _not_utf8(line: int) -> CsvFileError:
    return CsvFileError(
        _l(
            "The file is not saved as UTF-8 text (the first character we cannot read is on line "
            "%(line)s). %(how)s",
            line=line,
            how=SAVE_AS_UTF8,
        ),
        code="not_utf8",
    )


def batched(rows: Iterator[CsvRow], size: int) -> Iterator[list[CsvRow]]:
    """Rows in lists of at most ``size``, so an import works in batches of bounded memory."""
    while batch := list(itertools.islice(rows, size)):
        yield batch


# --- CSV downloads ------------------------------------------------------------------------------

# A cell starting with one of these is run as a formula by spreadsheets (CSV injection).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
DOWNLOAD_BATCH = 1000


def formula_safe(value: str) -> str:
    """A CSV cell a spreadsheet will not run as a formula."""
    return "'" + value if value.startswith(FORMULA_START) else value


def spooled_csv(header: Sequence[str], rows: Iterable[Sequence[object]]) -> IO[bytes]:
    """A CSV download in a temporary file (in memory up to 1 MiB, then on disk; rewound):
    UTF-8 with a byte order mark first, so spreadsheets read åäö, written
    :data:`DOWNLOAD_BATCH` rows at a time so memory stays flat. The rows' cells are written as
    given: the caller makes them :func:`formula_safe`."""
    out = tempfile.SpooledTemporaryFile(max_size=1024 * 1024)  # noqa: SIM115 - caller closes
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    buffer.write("\ufeff")
    writer.writerow(header)
    for count, row in enumerate(rows, start=1):
        writer.writerow(row)
        if count % DOWNLOAD_BATCH == 0:
            out.write(buffer.getvalue().encode("utf-8"))
            buffer.seek(0)
            buffer.truncate()
    out.write(buffer.getvalue().encode("utf-8"))
    out.seek(0)
    return out  # type: ignore[return-value]
