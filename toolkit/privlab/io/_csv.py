r"""One fast, quote-aware validation pass over a delimited text file.

polars reads CSV quickly but forgives too much: a row with too few fields is
padded with nulls, and a blank line becomes an all-null row. Before privlab
hands out a scan it checks every record once, vectorized with numpy over the
raw bytes in chunks:

* quote state by parity — a ``"`` toggles "inside quotes", so an escaped ``""``
  toggles twice and changes nothing (this is also how polars splits fields);
* record ends are ``\n`` bytes outside quotes (``\r\n`` works: the ``\r``
  belongs to the last field and is never a separator);
* each record's field count is one more than its separators outside quotes.

Chunks may end anywhere: the quote state, the unfinished record and a UTF-8
character split across the boundary are carried to the next chunk. Each chunk
is checked for valid UTF-8 (``bytes.isascii`` first, which is nearly free).
Line numbers are only computed when something is wrong.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from privlab.exceptions import DecodeError, EmptySourceError, MalformedRowError

CHUNK_SIZE = 4 * 1024 * 1024
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
    head_bytes:
        Bytes from the start of the file to the end of data record number
        ``head_rows``, or of the last data record if there are fewer: the part
        column types are inferred from.
    """

    sep: str
    columns: list[str]
    rows: int
    trailing_blank_lines: int
    head_bytes: int


def iter_file_chunks(path: str | Path, chunk_size: int | None = None) -> Iterator[bytes]:
    r"""Yield the bytes of *path* in blocks of *chunk_size* (the last may be shorter).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "t.csv"
    >>> _ = p.write_bytes(b"a,b\n1,2\n3,4")
    >>> list(iter_file_chunks(p, chunk_size=5))
    [b'a,b\n1', b',2\n3,', b'4']
    """
    size = chunk_size or CHUNK_SIZE
    with open(path, "rb", buffering=0) as handle:
        while block := handle.read(size):
            yield block


def iter_bytes_chunks(data: bytes, chunk_size: int | None = None) -> Iterator[bytes]:
    r"""Like :func:`iter_file_chunks`, over bytes already in memory.

    Examples
    --------
    >>> list(iter_bytes_chunks(b"a\nbb\nc", chunk_size=4))
    [b'a\nbb', b'\nc']
    """
    size = chunk_size or CHUNK_SIZE
    for start in range(0, len(data), size):
        yield data[start : start + size]


def sniff_separator(sample: bytes, *, default: str = ",") -> str:
    r"""Guess the field separator from the first lines of a file.

    Each candidate (``,`` ``;`` tab ``|``) splits the complete records of the
    sample with Python's quote-aware csv module; the winner splits the header
    into more than one field and every other record into the same number. Ties
    go to the candidate making more fields, then to the order above. When no
    candidate splits the header, the file has one column and *default* is used.

    Examples
    --------
    >>> sniff_separator(b"sex;age;race\nMale;39;White\n")
    ';'
    >>> sniff_separator(b'name,note\n"Doe; J.","a;b;c"\n')
    ','
    >>> sniff_separator(b"value\n1\n")
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
    r"""Column names of the first non-blank record of *sample* (for messages).

    Examples
    --------
    >>> header_columns(b'\xef\xbb\xbfid;"full name"\r\n1;x\r\n', ";")
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

    def __init__(
        self, *, sep: str, name: str, columns: list[str], check_utf8: bool, head_rows: int
    ):
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
        self.head_rows = head_rows
        self.line_start = 0  # offset where the current physical line starts
        self.utf8 = codecs.getincrementaldecoder("utf-8")("strict")
        self.utf8_pending = 0  # bytes of a character split across chunks
        self.head_end: int | None = None

    # -- per chunk ---------------------------------------------------------------
    def feed(self, chunk: bytes) -> None:
        if not chunk:
            return
        if self.check_utf8 and (self.utf8_pending or not chunk.isascii()):
            self._check_utf8(chunk)
        arr = np.frombuffer(chunk, dtype=np.uint8)
        quoted = self.in_quote or b'"' in chunk
        # "Events": the bytes that matter, in order. One pass over the chunk,
        # then everything works on these much smaller arrays.
        mask = arr == _NL
        mask |= arr == self.sep_byte
        if quoted:
            mask |= arr == _QUOTE
        pos = np.flatnonzero(mask)
        codes = arr[pos]
        if quoted:
            is_quote = codes == _QUOTE
            before = np.cumsum(is_quote) - is_quote  # quotes strictly before each event
            outside = ((before + int(self.in_quote)) & 1) == 0
            self.in_quote = bool((int(self.in_quote) + int(is_quote.sum())) & 1)
            nl = pos[codes == _NL]  # every physical newline, for line numbers
            keep = outside & ~is_quote
            pos, codes = pos[keep], codes[keep]
            ends_at = np.flatnonzero(codes == _NL)  # record ends, as event indices
            nl_out = pos[ends_at]
        else:
            ends_at = np.flatnonzero(codes == _NL)
            nl = nl_out = pos[ends_at]
        if nl_out.size:
            nseps = np.diff(ends_at, prepend=-1) - 1
            nseps[0] += self.carry_seps
            starts = np.empty(nl_out.size, dtype=np.int64)
            starts[0] = -self.carry_len
            starts[1:] = nl_out[:-1] + 1
            lengths = nl_out - starts
            before_nl = np.where(nl_out > 0, arr[np.maximum(nl_out - 1, 0)], self.last_byte)
            blank = (lengths == 0) | ((lengths == 1) & (before_nl == _CR))
            self._records(nl, starts, nseps + 1, blank, self.offset + nl_out + 1)
            tail = int(nl_out[-1]) + 1
            self.carry_seps = int(codes.size - ends_at[-1] - 1)
            self.carry_len = len(chunk) - tail
            self.carry_line = self.lines_before + int(np.searchsorted(nl, tail)) + 1
        else:
            self.carry_seps += int(codes.size)
            self.carry_len += len(chunk)
        self.last_byte = chunk[-1]
        if nl.size:
            self.line_start = self.offset + int(nl[-1]) + 1
        self.lines_before += int(nl.size)
        self.offset += len(chunk)

    def _line_of(self, nl: IntArray, start: int) -> int:
        if start < 0:
            return self.carry_line
        return self.lines_before + int(np.searchsorted(nl, start)) + 1

    def _records(
        self,
        nl: IntArray,
        starts: IntArray,
        fields: IntArray,
        blank: npt.NDArray[np.bool_],
        ends: IntArray,
    ) -> None:
        """Check one batch of complete records (start offsets relative to the chunk)."""
        if self.expected is None:  # leading blank lines are skipped, as polars does
            non_blank = np.flatnonzero(~blank)
            if non_blank.size == 0:
                return
            head = int(non_blank[0]) + 1
            self.expected = int(fields[head - 1])
            starts, fields, blank, ends = starts[head:], fields[head:], blank[head:], ends[head:]
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
            if self.rows < self.head_rows:  # where the first head_rows records end
                last = min(self.head_rows - self.rows, int(data.size)) - 1
                self.head_end = int(ends[data[last]])
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

    def _check_utf8(self, chunk: bytes, *, final: bool = False) -> None:
        try:
            self.utf8.decode(chunk, final)
        except UnicodeDecodeError as exc:
            where = exc.start - self.utf8_pending  # relative to this chunk; < 0: split char
            at = max(where, 0)
            line = self.lines_before + chunk.count(b"\n", 0, at) + 1
            newline = chunk.rfind(b"\n", 0, at)
            line_start = self.offset + newline + 1 if newline != -1 else self.line_start
            offset = self.offset + where
            raise DecodeError(
                f"{self.name}, line {line}, column {offset - line_start + 1} (byte offset "
                f"{offset}): byte 0x{exc.object[exc.start]:02x} is not valid utf-8; the file "
                "probably uses another encoding — try encoding='latin-1' or 'cp1252' "
                "(CLI: --encoding latin-1)",
                path=self.name,
                line=line,
                column=offset - line_start + 1,
            ) from None
        self.utf8_pending = len(self.utf8.getstate()[0])

    # -- end of input --------------------------------------------------------------
    def finish(self) -> CsvLayout:
        if self.check_utf8 and self.utf8_pending:
            self._check_utf8(b"", final=True)  # a character cut off by the end of file
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
                np.array([self.offset], dtype=np.int64),
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
            head_bytes=self.head_end or self.offset,
        )


def validate_csv(
    chunks: Iterable[bytes],
    *,
    sep: str,
    name: str,
    columns: list[str],
    check_utf8: bool = True,
    head_rows: int = 10_000,
) -> CsvLayout:
    r"""Check every record of a delimited file in one vectorized pass.

    Parameters
    ----------
    chunks:
        The file's bytes in order, in chunks of any size:
        :func:`iter_file_chunks` or :func:`iter_bytes_chunks`.
    sep:
        The one-character field separator.
    name:
        The file name used in messages.
    columns:
        The header's column names, for messages only.
    check_utf8:
        Also check that the bytes are valid UTF-8.
    head_rows:
        Report in ``head_bytes`` where this many data records end.

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
    >>> data = b'id,note\r\n1,"a, b"\r\n2,"two\nlines"\r\n\r\n'
    >>> validate_csv([data], sep=",", name="t.csv", columns=["id", "note"])
    CsvLayout(sep=',', columns=['id', 'note'], rows=2, trailing_blank_lines=1, head_bytes=34)
    >>> validate_csv([b"a,b\n1,2\n3\n"], sep=",", name="t.csv", columns=["a", "b"])
    Traceback (most recent call last):
    ...
    privlab.exceptions.MalformedRowError: t.csv, line 3: expected 2 fields ... found 1; ...
    """
    scanner = _Scanner(
        sep=sep, name=name, columns=columns, check_utf8=check_utf8, head_rows=head_rows
    )
    for chunk in chunks:
        scanner.feed(chunk)
    return scanner.finish()


def starts_with_bom(data: bytes) -> bool:
    r"""Whether *data* starts with a UTF-8 byte-order mark.

    Examples
    --------
    >>> starts_with_bom(b"\xef\xbb\xbfa,b")
    True
    """
    return data.startswith(_BOM)
