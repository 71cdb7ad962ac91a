"""The CSV validation pass and separator sniffing, against independent oracles."""

from __future__ import annotations

import tempfile
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

import privlab as pv
from privlab.exceptions import DecodeError, MalformedRowError
from privlab.io._csv import (
    header_columns,
    iter_bytes_chunks,
    sniff_separator,
    validate_csv,
)

FIELD_CHARS = st.sampled_from(list('ab ,;|\t"\n\rxé'))
field = st.text(FIELD_CHARS, max_size=6)


def quote(value: str, sep: str) -> str:
    """RFC 4180 quoting: the independent writer the scanner is checked against."""
    if any(c in value for c in (sep, '"', "\n", "\r")):
        return '"' + value.replace('"', '""') + '"'
    return value


@st.composite
def csv_files(draw: st.DrawFn) -> tuple[bytes, str, list[list[str]], str]:
    """(file bytes, sep, records incl. header, line terminator); >= 2 columns."""
    sep = draw(st.sampled_from([",", ";", "\t", "|"]))
    width = draw(st.integers(2, 4))
    rows = draw(st.lists(st.lists(field, min_size=width, max_size=width), min_size=1))
    header = [f"c{i}" for i in range(width)]
    eol = draw(st.sampled_from(["\n", "\r\n"]))
    records = [header, *rows]
    text = eol.join(sep.join(quote(v, sep) for v in r) for r in records)
    if draw(st.booleans()):
        text += eol
    return text.encode(), sep, records, eol


def _validate(data: bytes, sep: str, chunk: int) -> object:
    return validate_csv(iter_bytes_chunks(data, chunk), sep=sep, name="t.csv", columns=[])


@settings(max_examples=150, deadline=None)
@given(csv_files(), st.integers(1, 40))
def test_well_formed_files_pass_with_the_right_row_count(
    case: tuple[bytes, str, list[list[str]], str], chunk: int
) -> None:
    data, sep, records, _ = case
    layout = _validate(data, sep, chunk)
    assert layout.rows == len(records) - 1  # type: ignore[attr-defined]


@settings(max_examples=150, deadline=None)
@given(csv_files(), st.integers(1, 40), st.data())
def test_a_dropped_or_added_field_is_found_on_its_line(
    case: tuple[bytes, str, list[list[str]], str], chunk: int, data: st.DataObject
) -> None:
    _, sep, records, eol = case
    target = data.draw(st.integers(1, len(records) - 1), label="record")
    add = data.draw(st.booleans(), label="add a field")
    broken = [list(r) for r in records]
    broken[target] = [*broken[target], "z"] if add else broken[target][:-1]
    lines = [sep.join(quote(v, sep) for v in r) for r in broken]
    assume(lines[target] != "")  # an empty line is a blank line, not a short row
    text = eol.join(lines) + eol
    # Physical line of the broken record: 1 + newlines before it.
    line = eol.join(lines[:target]).count("\n") + 2
    with pytest.raises(MalformedRowError) as info:
        _validate(text.encode(), sep, chunk)
    width = len(records[0])
    assert (info.value.line, info.value.expected) == (line, width)
    assert info.value.found == width + (1 if add else -1)


@settings(max_examples=60, deadline=None)
@given(csv_files())
def test_separator_is_sniffed(case: tuple[bytes, str, list[list[str]], str]) -> None:
    data, sep, records, _ = case
    # c0<sep>c1… in the header makes every candidate but `sep` give one field.
    assert sniff_separator(data) == sep
    assert header_columns(data, sep) == records[0]


def test_decode_error_position_across_chunks() -> None:
    data = b"a,b\n1,\xc3\xa9\n2,x\xff\n"
    for chunk in (1, 2, 3, 64):
        with pytest.raises(DecodeError) as info:
            _validate(data, ",", chunk)
        assert (info.value.line, info.value.column) == (3, 4), chunk


def test_truncated_multibyte_character_at_end_of_file() -> None:
    with pytest.raises(DecodeError) as info:
        _validate(b"a,b\n1,\xc3", ",", 64)
    assert (info.value.line, info.value.column) == (2, 3)


def test_polars_alone_pads_short_rows() -> None:
    """Why the pass exists: without it this file loads silently."""
    data = b"a,b,c\n1,2,3\n4,5\n"
    assert pl.read_csv(data).row(1) == (4, 5, None)
    with pytest.raises(MalformedRowError):
        _validate(data, ",", 64)


strings = st.text(st.sampled_from(list('ab ,;"\n\r\tz0é')), max_size=8)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.lists(
        st.tuples(
            st.none() | strings,
            st.none() | st.integers(-(2**62), 2**62),
            st.none() | st.floats(allow_nan=False, allow_infinity=False),
        ),
        min_size=1,
        max_size=12,
    ),
    st.integers(1, 3),
)
def test_polars_written_csv_reads_back_equal(
    rows: list[tuple[str | None, int | None, float | None]], width: int
) -> None:
    schema = {"s": pl.String, "i": pl.Int64, "f": pl.Float64}
    frame = pl.DataFrame(rows, schema=schema, orient="row").select(list(schema)[:width])
    with tempfile.TemporaryDirectory() as folder:
        path = pv.write(frame, Path(folder) / "t.csv")
        # Overrides: a column of, say, only nulls or digit strings would infer otherwise.
        got = pv.read(path, schema_overrides=dict(frame.schema)).collect()
    assert_frame_equal(got, frame)
