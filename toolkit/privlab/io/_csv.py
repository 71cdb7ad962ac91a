"""One fast, quote-aware validation pass over a delimited text file.

polars reads CSV quickly but forgives too much: a row with too few fields is
padded with nulls, and a blank line becomes an all-null row. Before privlab
hands out a scan it checks every record once, vectorized with numpy over the
raw bytes in chunks:

* quote state by parity — a ``"`` toggles "inside quotes", so an escaped ``""``
  toggles twice and changes nothing (this is also how polars splits fields);
* record ends are ``\\n`` bytes outside quotes (``\\r\\n`` works: the ``\\r``
  belongs to the last field and is never a separator);
* each record's field count is one more than its separators outside quotes.

The chunks always end just after a ``\\n`` byte, so a multi-byte UTF-8
character is never split and each chunk can be checked for valid UTF-8 on its
own (``bytes.isascii`` first, which is nearly free). Line numbers are only
computed when something is wrong.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from privlab.exceptions import DecodeError, EmptySourceError, MalformedRowError

CHUNK_SIZE = 16 * 1024 * 1024
SEPARATORS = (",", ";", "\t", "|")
_NL, _CR, _QUOTE = 10, 13, 34
_BOM = b"\xef\xbb\xbf"

IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class CsvLayout:
    """What the validation pass learned about a delimited file.

    Attributes
    ----------
    sep:
        The field separator.
    columns:
        The header's column names (parsed with Python's csv module, for messages).
    rows:
        Number of data records (blank lines after the last record not counted).
    trailing_blank_lines:
        Blank lines after the last data record; polars would read each as an
        all-null row, so the caller limits the scan to ``rows``.
    """

    sep: str
    columns: list[str]
    rows: int
    trailing_blank_lines: int


def iter_file_chunks(path: str | Path, chunk_size: int = CHUNK_SIZE) -> Iterator[bytes]:
    """Yield the bytes of *path* in chunks that end just after a newline.

    Only the last chunk may end without one (a file without a final newline).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "t.csv"
    >>> _ = p.write_bytes(b"a,b\\n1,2\\n3,4")
    >>> list(iter_file_chunks(p, chunk_size=5))
    [b'a,b\\n', b'1,2\\n', b'3,4']
    """
    with open(path, "rb") as handle:
        carry = b""
        while True:
            block = handle.read(chunk_size)
            if not block:
                if carry:
                    yield carry
                return
            buf = carry + block if carry else block
            cut = buf.rfind(b"\n") + 1
            if cut == 0:
                carry = buf
                continue
            yield buf[:cut]
            carry = buf[cut:]


def iter_bytes_chunks(data: bytes, chunk_size: int = CHUNK_SIZE) -> Iterator[bytes]:
    """Like :func:`iter_file_chunks`, over bytes already in memory.

    Examples
    --------
    >>> list(iter_bytes_chunks(b"a\\nbb\\nc", chunk_size=2))
    [b'a\\n', b'bb\\n', b'c']
    """
    start, size = 0, len(data)
    while start < size:
        end = min(start + chunk_size, size)
        if end < size:
            cut = data.rfind(b"\n", start, end) + 1
            if cut == 0:  # one line longer than a chunk: extend to its end
                cut = data.find(b"\n", end) + 1 or size
            end = cut
        yield data[start:end]
        start = end


def sniff_separator(sample: bytes, *, default: str = ",") -> str:
    """Guess the field separator from the first lines of a file.

    Each candidate (``,`` ``;`` tab ``|``) splits the complete records of the
    sample with Python's quote-aware csv module; the winner splits the header
    into more than one field and every other record into the same number. Ties
    go to the candidate making more fields, then to the order above. When no
    candidate splits the header, the file has one column and *default* is used.

    Examples
    --------
    >>> sniff_separator(b"sex;age;race\\nMale;39;White\\n")
    ';'
    >>> sniff_separator(b'name,note\\n"Doe; J.","a;b;c"\\n')
    ','
    >>> sniff_separator(b"value\\n1\\n")
    ','
    """
    text = sample.decode("utf-8", errors="replace").lstrip("\ufeff")
    cut = text.rfind("\n")
    if cut != -1 and cut != len(text) - 1:
        text = text[: cut + 1]  # drop a partial last line
    best: tuple[bool, int, float, int] | None = None
    choice = default
    for rank, sep in enumerate(SEPARATORS):
        try:
            records = [r for r in csv.reader(io.StringIO(text), delimiter=sep) if r]
        except csv.Error:
            continue
        records = records[:50]
        if not records or len(records[0]) < 2:
            continue
        width = len(records[0])
        agree = sum(len(r) == width for r in records) / len(records)
        score = (agree == 1.0, width, agree, -rank)
        if best is None or score > best:
            best, choice = score, sep
    return choice


def header_columns(sample: bytes, sep: str) -> list[str]:
    """Column names of the first non-blank record of *sample* (for messages).

    Examples
    --------
    >>> header_columns(b'\\xef\\xbb\\xbfid;"full name"\\r\\n1;x\\r\\n', ";")
    ['id', 'full name']
    """
    text = sample.decode("utf-8", errors="replace").lstrip("\ufeff")
    try:
        for record in csv.reader(io.StringIO(text, newline=""), delimiter=sep):
            if record and any(field.strip() for field in record):
                return record
    except csv.Error:
        pass
    return []


def _preview(columns: list[str], limit: int = 12) -> str:
    if len(columns) <= limit:
        return repr(columns)
    return repr(columns[:limit])[:-1] + f", … {len(columns) - limit} more]"


class _Scanner:
    """The state carried from one chunk to the next."""

    def __init__(self, *, sep: str, name: str, columns: list[str], check_utf8: bool):
        if len(sep) != 1 or not sep.isascii() or sep in '"\r\n':
            raise ValueError(f"separator must be one ASCII character, got {sep!r}")
        self.sep = sep
        self.sep_byte = ord(sep)
        self.name = name
        self.columns = columns
        self.check_utf8 = check_utf8
        self.in_quote = False
        self.lines_before = 0  # physical newlines before the current chunk
        self.offset = 0  # byte offset of the current chunk
        self.carry_seps = 0  # separators of the unfinished record so far
        self.carry_len = 0  # bytes of the unfinished record so far
        self.carry_line = 1  # physical line where the unfinished record starts
        self.last_byte = -1
        self.expected: int | None = None
        self.rows = 0
        self.pending_blank_line: int | None = None  # first of the blank lines seen last
        self.pending_blanks = 0

    # -- per chunk ---------------------------------------------------------------
    def feed(self, chunk: bytes) -> None:
        if not chunk:
            return
        if self.check_utf8 and not chunk.isascii():
            self._check_utf8(chunk)
        arr = np.frombuffer(chunk, dtype=np.uint8)
        nl = np.flatnonzero(arr == _NL)
        seps = np.flatnonzero(arr == self.sep_byte)
        if self.in_quote or b'"' in chunk:
            quotes = np.flatnonzero(arr == _QUOTE)
            parity = int(self.in_quote)
            nl_out = nl[((np.searchsorted(quotes, nl) + parity) & 1) == 0]
            seps = seps[((np.searchsorted(quotes, seps) + parity) & 1) == 0]
            self.in_quote = bool((parity + quotes.size) & 1)
        else:
            nl_out = nl
        if nl_out.size:
            seps_before = np.searchsorted(seps, nl_out)
            nseps = np.diff(seps_before, prepend=0)
            nseps[0] += self.carry_seps
            starts = np.empty(nl_out.size, dtype=np.int64)
            starts[0] = -self.carry_len
            starts[1:] = nl_out[:-1] + 1
            lengths = nl_out - starts
            blank = (lengths == 0) | ((lengths == 1) & (arr[np.maximum(nl_out - 1, 0)] == _CR))
            self._records(nl, starts, nseps + 1, blank)
            tail = int(nl_out[-1]) + 1
            self.carry_seps = int(seps.size - seps_before[-1])
            self.carry_len = len(chunk) - tail
            self.carry_line = self.lines_before + int(np.searchsorted(nl, tail)) + 1
        else:
            self.carry_seps += int(seps.size)
            self.carry_len += len(chunk)
        self.last_byte = chunk[-1]
        self.lines_before += int(nl.size)
        self.offset += len(chunk)

    def _line_of(self, nl: IntArray, start: int) -> int:
        if start < 0:
            return self.carry_line
        return self.lines_before + int(np.searchsorted(nl, start)) + 1

    def _records(self, nl: IntArray, starts: IntArray, fields: IntArray, blank: np.ndarray) -> None:
        if self.expected is None:  # leading blank lines are skipped, as polars does
            non_blank = np.flatnonzero(~blank)
            if non_blank.size == 0:
                return
            head = int(non_blank[0])
            self.expected = int(fields[head])
            starts, fields, blank = starts[head + 1 :], fields[head + 1 :], blank[head + 1 :]
            if not starts.size:
                return
        expected = self.expected
        if expected == 1:
            # One column: an empty line is a missing value (polars reads it as null).
            blank = np.zeros(blank.shape, dtype=bool)
        bad = np.flatnonzero((fields != expected) & ~blank)
        first_bad = int(bad[0]) if bad.size else None
        data = np.flatnonzero(~blank)
        blanks = np.flatnonzero(blank)
        # A blank line is only an error when a data record follows it.
        blank_error: int | None = None
        if data.size and self.pending_blank_line is not None:
            blank_error = -1
        elif data.size and blanks.size and blanks[0] < data[-1]:
            blank_error = int(blanks[0])
        if blank_error is not None and (first_bad is None or blank_error < first_bad):
            if blank_error == -1:
                line = self.pending_blank_line or 0
            else:
                line = self._line_of(nl, int(starts[blank_error]))
            raise MalformedRowError(
                f"{self.name}, line {line}: blank line between data rows (expected {expected} "
                f"fields like the header {_preview(self.columns)}, found 0); polars would read "
                "it as a row of nulls — delete the line or fill in its values",
                path=self.name,
                line=line,
                expected=expected,
                found=0,
            )
        if first_bad is not None:
            found = int(fields[first_bad])
            self._raise_bad_count(self._line_of(nl, int(starts[first_bad])), found)
        if data.size:
            self.rows += int(data.size)  # no blank line is pending here: that raised above
            after = blanks[blanks > data[-1]]
            self.pending_blanks = int(after.size)
            self.pending_blank_line = (
                self._line_of(nl, int(starts[after[0]])) if after.size else None
            )
        elif blanks.size:
            if self.pending_blank_line is None:
                self.pending_blank_line = self._line_of(nl, int(starts[blanks[0]]))
            self.pending_blanks += int(blanks.size)

    def _raise_bad_count(self, line: int, found: int) -> None:
        expected = self.expected
        assert expected is not None
        if found < expected:
            why = (
                "a field is missing (polars would silently fill it with null)"
                f" — add the missing {self.sep!r} separators or the values"
            )
        else:
            why = (
                f"a value probably contains an unquoted {self.sep!r} — quote that value, "
                "or pass the right separator (sep=... / --sep)"
            )
        raise MalformedRowError(
            f"{self.name}, line {line}: expected {expected} fields like the header "
            f"{_preview(self.columns)}, found {found}; {why}",
            path=self.name,
            line=line,
            expected=expected,
            found=found,
        )

    def _check_utf8(self, chunk: bytes) -> None:
        try:
            chunk.decode("utf-8")
        except UnicodeDecodeError as exc:
            where = exc.start
            line = self.lines_before + chunk.count(b"\n", 0, where) + 1
            column = where - (chunk.rfind(b"\n", 0, where) + 1) + 1
            byte = chunk[where]
            raise DecodeError(
                f"{self.name}, line {line}, column {column} (byte offset "
                f"{self.offset + where}): byte 0x{byte:02x} is not valid utf-8; the file "
                "probably uses another encoding — try encoding='latin-1' or 'cp1252' "
                "(CLI: --encoding latin-1)",
                path=self.name,
                line=line,
                column=column,
            ) from None

    # -- end of input --------------------------------------------------------------
    def finish(self) -> CsvLayout:
        if self.in_quote:
            expected = self.expected or 0
            line = self.carry_line
            raise MalformedRowError(
                f"{self.name}, line {line}: a quoted field opened in this record is never "
                f"closed (an odd number of '\"'); expected {expected} fields like the header "
                f"{_preview(self.columns)}, found {self.carry_seps + 1} before the end of the "
                'file — close the quote, or double a literal quote inside a value ("")',
                path=self.name,
                line=line,
                expected=expected,
                found=self.carry_seps + 1,
            )
        if self.carry_len:  # a last record without a final newline
            blank = self.carry_len == 1 and self.last_byte == _CR
            self._records(
                np.zeros(0, dtype=np.int64),
                np.array([-self.carry_len], dtype=np.int64),
                np.array([self.carry_seps + 1], dtype=np.int64),
                np.array([blank]),
            )
        if self.expected is None:
            raise EmptySourceError(
                f"{self.name} has no header: it holds only blank lines — "
                "a CSV file needs a header line and at least one data row"
            )
        if self.rows == 0:
            raise EmptySourceError(
                f"{self.name} has a header {_preview(self.columns)} but no data rows; "
                "privlab treats a header-only file as empty — add rows or pick another file"
            )
        return CsvLayout(
            sep=self.sep,
            columns=self.columns,
            rows=self.rows,
            trailing_blank_lines=self.pending_blanks,
        )


def validate_csv(
    chunks: Iterable[bytes],
    *,
    sep: str,
    name: str,
    columns: list[str],
    check_utf8: bool = True,
) -> CsvLayout:
    """Check every record of a delimited file in one vectorized pass.

    Parameters
    ----------
    chunks:
        The file's bytes, each chunk ending just after a ``\\n`` (the last may
        not): :func:`iter_file_chunks` or :func:`iter_bytes_chunks`.
    sep:
        The one-character field separator.
    name:
        The file name used in messages.
    columns:
        The header's column names, for messages only.
    check_utf8:
        Also check that the bytes are valid UTF-8.

    Returns
    -------
    CsvLayout

    Raises
    ------
    MalformedRowError
        A record with a different number of fields than the header, a blank
        line between data records (when there is more than one column) or a
        quote that is never closed.
    DecodeError
        Bytes that are not valid UTF-8 (with *check_utf8*).
    EmptySourceError
        No header, or a header and no data records.

    Examples
    --------
    >>> data = b'id,note\\r\\n1,"a, b"\\r\\n2,"two\\nlines"\\r\\n\\r\\n'
    >>> validate_csv([data], sep=",", name="t.csv", columns=["id", "note"])
    CsvLayout(sep=',', columns=['id', 'note'], rows=2, trailing_blank_lines=1)
    >>> validate_csv([b"a,b\\n1,2\\n3\\n"], sep=",", name="t.csv", columns=["a", "b"])
    Traceback (most recent call last):
    ...
    privlab.exceptions.MalformedRowError: t.csv, line 3: expected 2 fields ... found 1; ...
    """
    scanner = _Scanner(sep=sep, name=name, columns=columns, check_utf8=check_utf8)
    for chunk in chunks:
        scanner.feed(chunk)
    return scanner.finish()


def starts_with_bom(data: bytes) -> bool:
    """Whether *data* starts with a UTF-8 byte-order mark.

    Examples
    --------
    >>> starts_with_bom(b"\\xef\\xbb\\xbfa,b")
    True
    """
    return data.startswith(_BOM)
