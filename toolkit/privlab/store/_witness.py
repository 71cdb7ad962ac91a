"""The audit witness: an append-only file outside the store that remembers the log's head.

One JSON object per line. The first line names the store the file witnesses
(its random ``store_id`` and path); every later line is written after a store
transaction that appended audit records committed, and holds that
transaction's last record: ``seq``, ``hash``, ``mac`` (``null`` without a key)
and ``key_id``. Because each record's hash chains every record before it, one
line pins the whole log up to ``seq``.

The file is opened with ``O_APPEND`` (every write lands at its end), created
``0600``, flushed with ``os.fsync`` after each line, and never rewritten or
truncated by privlab. Put it where the people who can write the store cannot
(another volume, a repository that is pushed elsewhere): someone who can
rewrite both the store and this file can rewrite history without the key
being needed for the witness — checkpoints (``privlab audit checkpoint``)
kept elsewhere are the last line of defence.

Examples
--------
>>> import pathlib, tempfile
>>> w = Witness(pathlib.Path(tempfile.mkdtemp()) / "audit-witness.jsonl")
>>> w.append("store-1", "/data/privlab.sqlite", seq=1, digest="ab", mac=None, key_id=None)
>>> w.read().lines[0].seq, w.tail().header.store_id
(1, 'store-1')
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

__all__ = ["FORMAT", "Witness", "WitnessFile", "WitnessHeader", "WitnessLine", "line_text"]

#: What the first line of a witness file says it is.
FORMAT = "privlab-audit-witness"
_TAIL_BYTES = 8192


@dataclass(frozen=True)
class WitnessHeader:
    """The first line: which store this file witnesses."""

    store_id: str
    store_path: str
    created_at: str


class WitnessLine(NamedTuple):
    """One witnessed head: the last record of one committed transaction."""

    seq: int
    hash: str
    mac: str | None
    key_id: str | None
    line: int  # 1-based line number in the file


@dataclass
class WitnessFile:
    """A parsed witness file."""

    header: WitnessHeader | None
    lines: list[WitnessLine] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    #: highest sequence number among lines that matched an expected text exactly
    matched_seq: int = 0

    @property
    def last(self) -> WitnessLine | None:
        """The parsed witnessed head with the highest sequence number."""
        return max(self.lines, key=lambda w: w.seq) if self.lines else None

    @property
    def last_seq(self) -> int:
        """The highest sequence number witnessed (matched or parsed)."""
        last = self.last
        return max(self.matched_seq, 0 if last is None else last.seq)


def _parse_header(text: str) -> WitnessHeader:
    data = json.loads(text)
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ValueError("not a privlab audit witness header")
    return WitnessHeader(str(data["store_id"]), str(data["store_path"]), str(data["created_at"]))


#: The exact shape :meth:`Witness.append` writes; anything else goes through ``json``.
_LINE = re.compile(
    r'\{"seq":(\d+),"hash":"([0-9a-f]+)","mac":(?:"([0-9a-f]+)"|null),'
    r'"key_id":(?:"([0-9a-f]+)"|null)\}'
)


def _parse_line(text: str, number: int) -> WitnessLine:
    match = _LINE.fullmatch(text)
    if match is not None:
        seq, digest, mac, key_id = match.groups()
        return WitnessLine(int(seq), digest, mac, key_id, number)
    data = json.loads(text)
    if not isinstance(data, dict):
        raise ValueError("not an object")
    mac = data.get("mac")
    key_id = data.get("key_id")
    return WitnessLine(
        seq=int(data["seq"]),
        hash=str(data["hash"]),
        mac=None if mac is None else str(mac),
        key_id=None if key_id is None else str(key_id),
        line=number,
    )


def line_text(seq: int, digest: str, mac: str | None, key_id: str | None) -> str:
    """The exact text of one witness line (no newline).

    Examples
    --------
    >>> line_text(3, "ab", None, None)
    '{"seq":3,"hash":"ab","mac":null,"key_id":null}'
    """
    mac_text = "null" if mac is None else f'"{mac}"'
    key_text = "null" if key_id is None else f'"{key_id}"'
    return f'{{"seq":{seq},"hash":"{digest}","mac":{mac_text},"key_id":{key_text}}}'


class Witness:
    """The append-only witness file of one store.

    Parameters
    ----------
    path:
        The file; its folder must exist or be creatable.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)

    def __repr__(self) -> str:
        return f"Witness({str(self.path)!r})"

    def exists(self) -> bool:
        """Whether the file exists."""
        return self.path.exists()

    def append(
        self,
        store_id: str,
        store_path: str,
        *,
        seq: int,
        digest: str,
        mac: str | None,
        key_id: str | None,
        created_at: str = "",
    ) -> None:
        """Append one witnessed head (writing the header first when the file is new).

        The file is opened ``O_WRONLY | O_APPEND`` (created ``0600`` with
        ``O_EXCL`` so two processes never both write a header) and the line is
        flushed to disk with ``os.fsync`` before this returns.
        """
        self.path.parent.mkdir(parents=True, exist_ok=True)
        payload = line_text(seq, digest, mac, key_id) + "\n"
        created = False
        try:
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_EXCL, 0o600)
            created = True
            header = json.dumps(
                {
                    "format": FORMAT,
                    "version": 1,
                    "store_id": store_id,
                    "store_path": store_path,
                    "created_at": created_at,
                },
                separators=(",", ":"),
            )
            payload = header + "\n" + payload
        except FileExistsError:
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND)
        try:
            data = payload.encode()
            written = os.write(fd, data)
            if written != len(data):  # pragma: no cover - a full disk
                raise OSError(f"short write to the witness ({written} of {len(data)} bytes)")
            os.fsync(fd)
        finally:
            os.close(fd)
        if created:
            _fsync_dir(self.path.parent)

    def tail(self) -> WitnessFile:
        """The header and the last complete line only (reads at most a few KB)."""
        if not self.path.exists():
            return WitnessFile(None)
        with open(self.path, "rb") as handle:
            first = handle.readline().decode("utf-8", "replace")
            size = handle.seek(0, os.SEEK_END)
            handle.seek(max(0, size - _TAIL_BYTES))
            chunk = handle.read().decode("utf-8", "replace")
        out = WitnessFile(None)
        try:
            out.header = _parse_header(first)
        except (ValueError, KeyError, TypeError):
            out.problems.append(f"the witness file {self.path} has no valid header line")
            return out
        lines = [ln for ln in chunk.split("\n") if ln.strip()]
        if lines and lines[-1].strip() != first.strip():
            try:
                out.lines.append(_parse_line(lines[-1], 0))
            except (ValueError, KeyError, TypeError):
                out.problems.append(f"the last line of the witness file {self.path} is unreadable")
        return out

    def read(self, known: Mapping[str, int] | None = None) -> WitnessFile:
        """Every line of the file, parsed; unreadable lines are reported in ``problems``.

        *known* maps the exact text of expected lines (:func:`line_text` of each
        record in the log) to their sequence numbers: such lines are only counted
        (``matched_seq`` is the highest), the others parsed into ``lines`` — a
        fast path for verifying a long log.
        """
        if not self.path.exists():
            return WitnessFile(None)
        with open(self.path, encoding="utf-8", errors="replace") as handle:
            text = handle.read()
        rows = text.split("\n")
        out = WitnessFile(None)
        if not rows or not rows[0].strip():
            out.problems.append(f"the witness file {self.path} is empty")
            return out
        try:
            out.header = _parse_header(rows[0])
        except (ValueError, KeyError, TypeError):
            out.problems.append(f"the witness file {self.path} has no valid header line")
            return out
        fullmatch, lines, line = _LINE.fullmatch, out.lines, WitnessLine
        expected = known or {}
        matched = 0
        for number, row in enumerate(rows[1:], start=2):
            seq_known = expected.get(row)
            if seq_known is not None:
                if seq_known > matched:
                    matched = seq_known
                continue
            match = fullmatch(row)
            if match is not None:  # the fast path: the exact shape append() writes
                seq, digest, mac, key_id = match.groups()
                lines.append(line(int(seq), digest, mac, key_id, number))
                continue
            if not row.strip():
                continue
            try:
                lines.append(_parse_line(row, number))
            except (ValueError, KeyError, TypeError):
                out.problems.append(f"line {number} of the witness file {self.path} is unreadable")
        out.matched_seq = matched
        return out


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:  # pragma: no cover - platforms that cannot open folders
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover
        pass
    finally:
        os.close(fd)
