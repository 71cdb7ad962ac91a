"""privlab.io.read: formats, delimiter detection, encodings and every error case."""

from __future__ import annotations

import datetime as dt
import gzip
import subprocess
import sys
from pathlib import Path

import pandas as pd
import polars as pl
import pytest
from polars.testing import assert_frame_equal

import privlab as pv
from privlab.exceptions import (
    ColumnNotFoundError,
    DecodeError,
    EmptySourceError,
    InputError,
    MalformedRowError,
    SourceNotFoundError,
    UnsupportedFormatError,
)
from privlab.io import _csv
from privlab.io._write import scan_sources

TEXT_SAFE = pl.DataFrame(
    {
        "id": [1, 2, 3, 4],
        "name": ["Doe, Jane", 'say "hi"', "two\nlines", None],
        "zip": ["02139", "10001", None, "00501"],
        "score": [0.5, -1.25, None, 1e-3],
        "ok": [True, False, None, True],
    }
)
TYPED = TEXT_SAFE.with_columns(
    born=pl.Series([dt.date(1980, 1, 2), None, dt.date(2001, 12, 31), dt.date(1970, 1, 1)])
)


def _write_bytes(folder: Path, name: str, data: bytes) -> Path:
    path = folder / name
    path.write_bytes(data)
    return path


# -- round trips ------------------------------------------------------------------------
@pytest.mark.parametrize("ext", ["csv", "tsv", "txt", "csv.gz"])
def test_text_round_trip(tmp_path: Path, ext: str) -> None:
    path = pv.write(TEXT_SAFE, tmp_path / f"t.{ext}")
    assert_frame_equal(pv.read(path).collect(), TEXT_SAFE)


@pytest.mark.parametrize("ext", ["parquet", "pq", "ndjson", "jsonl", "ndjson.gz", "arrow", "ipc"])
def test_typed_round_trip(tmp_path: Path, ext: str) -> None:
    path = pv.write(TYPED, tmp_path / f"t.{ext}")
    expected = TYPED
    if "ndjson" in ext or "jsonl" in ext:  # JSON has no date type
        expected = TYPED.with_columns(pl.col("born").cast(pl.String))
    assert_frame_equal(pv.read(path).collect(), expected)


def test_feather_round_trip(tmp_path: Path) -> None:
    path = pv.write(TYPED, tmp_path / "t.feather")
    assert_frame_equal(pv.read(path).collect(), TYPED)


def test_arrow_ipc_stream_file_is_read(tmp_path: Path) -> None:
    path = tmp_path / "t.arrow"
    TYPED.write_ipc_stream(path)
    assert_frame_equal(pv.read(path).collect(), TYPED)


@pytest.mark.parametrize("ext", ["csv", "parquet", "ndjson", "arrow"])
def test_file_reads_are_lazy_scans_of_the_absolute_path(
    tmp_path: Path, ext: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    pv.write(TEXT_SAFE.drop("name"), tmp_path / f"t.{ext}")
    monkeypatch.chdir(tmp_path)
    frame = pv.read(f"t.{ext}")
    assert isinstance(frame, pl.LazyFrame)
    assert scan_sources(frame) == [str(tmp_path / f"t.{ext}")]


def test_pandas_round_trip(tmp_path: Path) -> None:
    frame = pd.DataFrame({"age": [39, 50], "sex": ["Male", "Female"], "w": [1.5, None]})
    got = pv.read(frame).collect()
    assert got.to_dict(as_series=False) == {
        "age": [39, 50],
        "sex": ["Male", "Female"],
        "w": [1.5, None],
    }
    path = pv.write(frame, tmp_path / "p.parquet")
    pd.testing.assert_frame_equal(pv.read(path).collect().to_pandas(), frame)


def test_pandas_named_index_becomes_a_column() -> None:
    frame = pd.DataFrame({"age": [39, 50]}, index=pd.Index(["a", "b"], name="person"))
    assert pv.read(frame).collect().columns == ["person", "age"]


def test_polars_frames_pass_through() -> None:
    assert_frame_equal(pv.read(TYPED).collect(), TYPED)
    lazy = TYPED.lazy().filter(pl.col("id") > 1)
    assert_frame_equal(pv.read(lazy).collect(), lazy.collect())


def test_frame_inputs_take_null_values_and_schema_overrides() -> None:
    frame = pl.DataFrame({"a": ["1", "?", "3"], "b": ["x", "?", "NA"]})
    got = pv.read(frame, null_values=["?", "NA"], schema_overrides={"a": pl.Int32}).collect()
    assert got.to_dict(as_series=False) == {"a": [1, None, 3], "b": ["x", None, None]}
    assert got.schema["a"] == pl.Int32


def test_unsupported_object_is_rejected() -> None:
    with pytest.raises(UnsupportedFormatError, match=r"got list; convert it"):
        pv.read([{"a": 1}])  # type: ignore[arg-type]


def test_importing_privlab_io_does_not_import_pandas() -> None:
    code = "import sys, privlab.io; print('pandas' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# -- CSV dialects --------------------------------------------------------------------------
@pytest.mark.parametrize("sep", [",", ";", "\t", "|"])
def test_separator_is_detected(tmp_path: Path, sep: str) -> None:
    body = sep.join(["a", "b", "c"]) + "\n" + sep.join(["1", '"x,y;z|w\tv"', "3"]) + "\n"
    path = _write_bytes(tmp_path, "t.csv", body.encode())
    got = pv.read(path).collect()
    assert got.columns == ["a", "b", "c"]
    assert got.row(0) == (1, "x,y;z|w\tv", 3)


def test_explicit_separator_wins_over_detection(tmp_path: Path) -> None:
    path = _write_bytes(tmp_path, "t.csv", b"a;b,c\n1;2,3\n")
    assert pv.read(path, sep=",").collect().columns == ["a;b", "c"]
    assert pv.read(path, sep=";").collect().columns == ["a", "b,c"]


def test_invalid_separator_is_rejected(tmp_path: Path) -> None:
    path = _write_bytes(tmp_path, "t.csv", b"a,b\n1,2\n")
    with pytest.raises(InputError, match="sep must be one ASCII character"):
        pv.read(path, sep="::")


def test_adult_is_read_with_detected_semicolons(adult_dir: Path) -> None:
    frame = pv.read(adult_dir / "adult.csv")
    assert frame.collect_schema().names()[:3] == ["sex", "age", "race"]
    assert frame.select(pl.len()).collect().item() == 30162
    assert frame.collect_schema()["age"] == pl.Int64


def test_crlf_bom_and_missing_final_newline(tmp_path: Path) -> None:
    path = _write_bytes(tmp_path, "t.csv", b'\xef\xbb\xbfa,b\r\n1,"x\r\ny"\r\n2,z')
    got = pv.read(path).collect()
    assert got.to_dict(as_series=False) == {"a": [1, 2], "b": ["x\r\ny", "z"]}


def test_trailing_and_leading_blank_lines_are_not_rows(tmp_path: Path) -> None:
    path = _write_bytes(tmp_path, "t.csv", b"\n\r\na,b\r\n1,x\r\n2,y\r\n\r\n\n")
    got = pv.read(path).collect()
    assert got.to_dict(as_series=False) == {"a": [1, 2], "b": ["x", "y"]}


def test_one_column_blank_line_is_a_missing_value(tmp_path: Path) -> None:
    path = _write_bytes(tmp_path, "t.csv", b"a\n1\n\n3\n")
    assert pv.read(path).collect()["a"].to_list() == [1, None, 3]


def test_quoted_separators_newlines_and_escaped_quotes_are_not_errors(tmp_path: Path) -> None:
    data = b'id,note\n1,"a, b, c"\n2,"line\nbreak, and ""quotes"""\n3,""\n4,\n'
    got = pv.read(_write_bytes(tmp_path, "t.csv", data)).collect()
    assert got["note"].to_list() == ["a, b, c", 'line\nbreak, and "quotes"', "", None]


def test_leading_zeros_are_kept_as_strings(tmp_path: Path) -> None:
    path = _write_bytes(tmp_path, "t.csv", b"zip,n\n02139,1\n10001,2\n")
    got = pv.read(path).collect()
    assert got["zip"].to_list() == ["02139", "10001"]
    assert got.schema["n"] == pl.Int64


def test_null_values_and_schema_overrides(tmp_path: Path) -> None:
    path = _write_bytes(tmp_path, "t.csv", b"a,b\n1,?\n2,NA\n3,x\n")
    got = pv.read(path, null_values=["?", "NA"], schema_overrides={"a": pl.Float32}).collect()
    assert got.to_dict(as_series=False) == {"a": [1.0, 2.0, 3.0], "b": [None, None, "x"]}
    assert got.schema["a"] == pl.Float32


def test_schema_override_of_a_missing_column(tmp_path: Path) -> None:
    path = _write_bytes(tmp_path, "t.csv", b"zipcode,age\n1,2\n")
    with pytest.raises(ColumnNotFoundError, match=r"'zip' not found in .*t\.csv.*'zipcode'"):
        pv.read(path, schema_overrides={"zip": pl.String})


def test_chunk_boundaries_anywhere(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Tiny chunks split CRLF pairs, quoted fields and multi-byte characters."""
    data = 'name;note\r\n"Zoë";"a;\r\nb"\r\n\r\nÅsa;"""q"""\r\n'.encode()
    data = data.replace(b"\r\n\r\n\xc3", b"\r\n\xc3")  # no blank line inside the data
    path = _write_bytes(tmp_path, "t.csv", data + b"\r\n")
    expected = {"name": ["Zoë", "Åsa"], "note": ["a;\r\nb", '"q"']}
    for size in (1, 2, 3, 5, 7):
        monkeypatch.setattr(_csv, "CHUNK_SIZE", size)
        assert pv.read(path).collect().to_dict(as_series=False) == expected


# -- encodings -------------------------------------------------------------------------------
def test_latin1_file_with_the_right_encoding(tmp_path: Path) -> None:
    path = _write_bytes(tmp_path, "t.csv", "name;city\nJosé;Zürich\n".encode("latin-1"))
    got = pv.read(path, encoding="latin-1").collect()
    assert got.row(0) == ("José", "Zürich")


def test_latin1_file_with_the_default_encoding(tmp_path: Path, nothing_written) -> None:
    path = _write_bytes(tmp_path, "t.csv", "name;city\nAna;Bern\nJosé;Zürich\n".encode("latin-1"))
    with nothing_written(tmp_path), pytest.raises(DecodeError) as info:
        pv.read(path)
    err = info.value
    assert (err.path, err.line, err.column) == (str(path), 3, 4)
    assert "t.csv, line 3, column 4" in str(err)
    assert "0xe9" in str(err)
    assert "--encoding latin-1" in str(err)


def test_undecodable_byte_in_a_legacy_codec(tmp_path: Path, nothing_written) -> None:
    path = _write_bytes(tmp_path, "t.csv", b"a,b\n1,x\n2,\x81\n")  # 0x81 is unused in cp1252
    with nothing_written(tmp_path), pytest.raises(DecodeError) as info:
        pv.read(path, encoding="cp1252")
    assert (info.value.line, info.value.column) == (3, 3)
    assert "t.csv, line 3, column 3" in str(info.value)


def test_utf16_is_transcoded(tmp_path: Path) -> None:
    path = _write_bytes(tmp_path, "t.csv", "a\tb\n1\tÆble\n".encode("utf-16"))
    assert pv.read(path, encoding="utf-16").collect().row(0) == (1, "Æble")


def test_utf8_with_bom_codec_name(tmp_path: Path) -> None:
    path = _write_bytes(tmp_path, "t.csv", b"\xef\xbb\xbfa,b\n1,2\n")
    assert pv.read(path, encoding="utf-8-sig").collect().columns == ["a", "b"]


def test_unknown_encoding(tmp_path: Path) -> None:
    path = _write_bytes(tmp_path, "t.csv", b"a,b\n1,2\n")
    with pytest.raises(InputError, match="unknown encoding 'klingon'"):
        pv.read(path, encoding="klingon")


# -- error cases: message names the file, line and counts; nothing is written -------------
def test_missing_file(tmp_path: Path, nothing_written) -> None:
    with nothing_written(tmp_path), pytest.raises(SourceNotFoundError) as info:
        pv.read(tmp_path / "nope.csv")
    assert "no such file" in str(info.value)
    assert "nope.csv" in str(info.value)
    assert isinstance(info.value, FileNotFoundError)


def test_unknown_extension(tmp_path: Path, nothing_written) -> None:
    path = _write_bytes(tmp_path, "t.xlsx", b"PK")
    with nothing_written(tmp_path), pytest.raises(UnsupportedFormatError) as info:
        pv.read(path)
    assert "t.xlsx" in str(info.value)
    assert "'.xlsx'" in str(info.value)
    assert ".csv" in str(info.value)
    assert ".parquet" in str(info.value)


def test_directory_is_not_a_file(tmp_path: Path) -> None:
    (tmp_path / "d.csv").mkdir()
    with pytest.raises(UnsupportedFormatError, match=r"d\.csv' is a directory"):
        pv.read(tmp_path / "d.csv")


@pytest.mark.parametrize("ext", ["csv", "parquet", "ndjson", "arrow"])
def test_zero_byte_file(tmp_path: Path, ext: str, nothing_written) -> None:
    path = _write_bytes(tmp_path, f"t.{ext}", b"")
    with nothing_written(tmp_path), pytest.raises(EmptySourceError, match=r"t\.\w+ is empty"):
        pv.read(path)


def test_header_only_csv_is_empty(tmp_path: Path, nothing_written) -> None:
    path = _write_bytes(tmp_path, "t.csv", b"a,b\r\n\r\n")
    with nothing_written(tmp_path), pytest.raises(EmptySourceError) as info:
        pv.read(path)
    assert "t.csv has a header ['a', 'b'] but no data rows" in str(info.value)


def test_blank_lines_only_csv_is_empty(tmp_path: Path) -> None:
    path = _write_bytes(tmp_path, "t.csv", b"\n\r\n\n")
    with pytest.raises(EmptySourceError, match=r"t\.csv has no header"):
        pv.read(path)


def test_short_row_is_detected_although_polars_pads_it(tmp_path: Path, nothing_written) -> None:
    data = b"sex;age;race\nMale;39;White\nFemale;28\nMale;50;Black\n"
    path = _write_bytes(tmp_path, "t.csv", data)
    # polars alone fills the missing field with null — this is what read() must catch.
    assert pl.read_csv(path, separator=";").row(1) == ("Female", 28, None)
    with nothing_written(tmp_path), pytest.raises(MalformedRowError) as info:
        pv.read(path)
    err = info.value
    assert (err.path, err.line, err.expected, err.found) == (str(path), 3, 3, 2)
    assert "t.csv, line 3: expected 3 fields" in str(err)
    assert "['sex', 'age', 'race'], found 2" in str(err)
    assert "Female" not in str(err)  # messages never quote the data


def test_long_row(tmp_path: Path, nothing_written) -> None:
    path = _write_bytes(tmp_path, "t.csv", b'a,b\n1,"x\ny"\n2,3,4\n')
    with nothing_written(tmp_path), pytest.raises(MalformedRowError) as info:
        pv.read(path)
    assert (info.value.line, info.value.expected, info.value.found) == (4, 2, 3)
    assert "line 4: expected 2 fields" in str(info.value)
    assert "unquoted ','" in str(info.value)


def test_blank_line_between_rows(tmp_path: Path, nothing_written) -> None:
    path = _write_bytes(tmp_path, "t.csv", b"a,b\r\n1,2\r\n\r\n3,4\r\n")
    with nothing_written(tmp_path), pytest.raises(MalformedRowError) as info:
        pv.read(path)
    assert (info.value.line, info.value.found) == (3, 0)
    assert "t.csv, line 3: blank line between data rows" in str(info.value)


def test_unclosed_quote(tmp_path: Path, nothing_written) -> None:
    path = _write_bytes(tmp_path, "t.csv", b'a,b\n1,2\n3,"oops\n4,5\n')
    with nothing_written(tmp_path), pytest.raises(MalformedRowError) as info:
        pv.read(path)
    assert info.value.line == 3
    assert "t.csv, line 3: a quoted field opened in this record is never closed" in str(info.value)


def test_malformed_row_in_a_later_chunk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_csv, "CHUNK_SIZE", 64)
    rows = [f'{i},"v\n{i}"' for i in range(200)]
    rows[150] = "150"
    path = _write_bytes(tmp_path, "t.csv", ("a,b\n" + "\n".join(rows) + "\n").encode())
    with pytest.raises(MalformedRowError) as info:
        pv.read(path)
    assert (info.value.line, info.value.found) == (2 + 2 * 150, 1)


def test_bare_carriage_return_line_endings(tmp_path: Path) -> None:
    path = _write_bytes(tmp_path, "t.csv", b"a,b\r1,2\r3,4\r")
    with pytest.raises(UnsupportedFormatError, match="bare carriage return"):
        pv.read(path)


def test_bad_gzip(tmp_path: Path, nothing_written) -> None:
    path = _write_bytes(tmp_path, "t.csv.gz", b"not gzip at all")
    with nothing_written(tmp_path), pytest.raises(UnsupportedFormatError) as info:
        pv.read(path)
    assert "t.csv.gz is not a readable gzip file" in str(info.value)


def test_gzip_csv_is_validated(tmp_path: Path) -> None:
    path = _write_bytes(tmp_path, "t.csv.gz", gzip.compress(b"a,b\n1,2\n3\n"))
    with pytest.raises(MalformedRowError, match=r"t\.csv\.gz, line 3"):
        pv.read(path)


@pytest.mark.parametrize(("ext", "label"), [("parquet", "Parquet"), ("arrow", "Arrow IPC")])
def test_corrupt_binary_file(tmp_path: Path, ext: str, label: str, nothing_written) -> None:
    good = pv.write(TYPED, tmp_path / f"good.{ext}").read_bytes()
    path = _write_bytes(tmp_path, f"t.{ext}", good[: len(good) // 2])  # truncated
    with nothing_written(tmp_path), pytest.raises(UnsupportedFormatError) as info:
        pv.read(path)
    assert f"t.{ext} is not a readable {label} file" in str(info.value)


def test_parquet_without_rows_is_empty(tmp_path: Path) -> None:
    path = tmp_path / "t.parquet"
    TYPED.head(0).write_parquet(path)
    with pytest.raises(EmptySourceError, match=r"t\.parquet has a schema but no rows"):
        pv.read(path)


@pytest.mark.parametrize(
    ("body", "line", "why"),
    [
        (b'{"a": 1}\n{"a": 2\n{"a": 3}\n', 2, "invalid JSON"),
        (b'{"a": 1}\n\n{"a": 2}\n[1, 2]\n', 4, "expected a JSON object, found list"),
        (b'{"a": 1}\n3\n', 2, "expected a JSON object, found int"),
    ],
)
def test_malformed_ndjson_line(
    tmp_path: Path, body: bytes, line: int, why: str, nothing_written
) -> None:
    path = _write_bytes(tmp_path, "t.ndjson", body)
    with nothing_written(tmp_path), pytest.raises(MalformedRowError) as info:
        pv.read(path)
    assert info.value.line == line
    assert f"t.ndjson, line {line}: {why}" in str(info.value)


def test_ndjson_of_blank_lines_is_empty(tmp_path: Path) -> None:
    path = _write_bytes(tmp_path, "t.jsonl", b"\n\n")
    with pytest.raises(EmptySourceError, match=r"t\.jsonl has no JSON records"):
        pv.read(path)
