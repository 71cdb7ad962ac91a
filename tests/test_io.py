"""privlab.io: reading with one validating pass, atomic writes, fingerprints."""

from __future__ import annotations

import os
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import privlab as pv
from privlab.exceptions import (
    DecodeError,
    EmptySourceError,
    InputError,
    MalformedRowError,
    OutputError,
    OverwriteSourceError,
    SourceNotFoundError,
    UnsupportedFormatError,
)

FRAME = pl.DataFrame(
    {
        "id": [1, 2, 3],
        "name": ["Ada, Countess", 'Alan "the" T', "Grace\nHopper"],
        "zip": ["02139", "94107", "10001"],
        "score": [1.5, None, -2.0],
    }
)


def listing(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def put(folder: Path, name: str, content: bytes) -> Path:
    path = folder / name
    path.write_bytes(content)
    return path


# -- reading ---------------------------------------------------------------------------


@pytest.mark.parametrize("ext", ["csv", "parquet", "ndjson", "jsonl", "arrow", "ipc", "feather"])
def test_round_trip_every_format(tmp_path: Path, ext: str) -> None:
    target = pv.write(FRAME, tmp_path / f"t.{ext}")
    back = pv.read(target)
    assert isinstance(back, pl.LazyFrame)
    assert back.collect().equals(FRAME)


def test_lazy_frames_are_streamed_to_disk(tmp_path: Path) -> None:
    pv.write(FRAME.lazy().filter(pl.col("id") > 1), tmp_path / "t.parquet")
    assert pl.read_parquet(tmp_path / "t.parquet")["id"].to_list() == [2, 3]


def test_frames_and_pandas_are_accepted() -> None:
    assert pv.read(FRAME).collect().equals(FRAME)
    lazy = FRAME.lazy()
    assert pv.read(lazy) is lazy
    pdf = FRAME.to_pandas()
    assert pv.read(pdf).collect()["name"].to_list() == FRAME["name"].to_list()


def test_unknown_object_type_is_refused() -> None:
    with pytest.raises(UnsupportedFormatError, match="type 'int'"):
        pv.read(42)


def test_delimiter_is_detected(tmp_path: Path) -> None:
    semi = put(tmp_path, "s.csv", b'a;b;c\n1;"x;y";3\n4;5;6\n')
    assert pv.read(semi).collect().columns == ["a", "b", "c"]
    tab = put(tmp_path, "t.tsv", b"a\tb\n1\t2\n")
    assert pv.read(tab).collect().shape == (1, 2)
    pipe = put(tmp_path, "p.txt", b"a|b\n1|2\n")
    assert pv.read(pipe).collect().columns == ["a", "b"]


def test_explicit_separator_wins(tmp_path: Path) -> None:
    path = put(tmp_path, "x.csv", b"a;b,c\n1;2,3\n")
    assert pv.read(path, sep=",").collect().columns == ["a;b", "c"]


def test_quoted_separators_and_newlines_are_not_false_positives(tmp_path: Path) -> None:
    path = put(tmp_path, "q.csv", b'a,b\n1,"x,y\nz"\n2,"say ""hi"", ok"\n')
    df = pv.read(path).collect()
    assert df["b"].to_list() == ["x,y\nz", 'say "hi", ok']


def test_crlf_bom_and_missing_final_newline(tmp_path: Path) -> None:
    path = put(tmp_path, "c.csv", b"\xef\xbb\xbfa,b\r\n1,2\r\n3,4")
    df = pv.read(path).collect()
    assert df.columns == ["a", "b"]
    assert df["b"].to_list() == [2, 4]


def test_leading_zeros_are_kept(tmp_path: Path) -> None:
    path = put(tmp_path, "z.csv", b"zip,n\n02139,1\n94107,2\n")
    df = pv.read(path).collect()
    assert df.schema["zip"] == pl.String
    assert df["zip"].to_list() == ["02139", "94107"]
    assert df.schema["n"] == pl.Int64


def test_null_values_and_schema_overrides(tmp_path: Path) -> None:
    path = put(tmp_path, "n.csv", b"a,b\n1,?\n2,x\n")
    df = pv.read(path, null_values=["?"], schema_overrides={"a": pl.Float64}).collect()
    assert df["b"].to_list() == [None, "x"]
    assert df.schema["a"] == pl.Float64


def test_other_encodings_are_transcoded(tmp_path: Path) -> None:
    path = put(tmp_path, "l.csv", "city,n\nMálaga,1\nZürich,2\n".encode("latin-1"))
    assert pv.read(path, encoding="latin-1").collect()["city"].to_list() == ["Málaga", "Zürich"]
    utf16 = put(tmp_path, "u.csv", "a,b\nü,1\n".encode("utf-16"))
    assert pv.read(utf16, encoding="utf-16").collect()["a"].to_list() == ["ü"]


# -- reading: errors -------------------------------------------------------------------


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(SourceNotFoundError, match=r"'.*nope\.csv' does not exist"):
        pv.read(tmp_path / "nope.csv")


def test_unknown_extension_lists_supported(tmp_path: Path) -> None:
    path = put(tmp_path, "t.xlsx", b"whatever")
    with pytest.raises(UnsupportedFormatError, match=r"'\.xlsx'.*\.csv.*\.parquet"):
        pv.read(path)


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        (b"", r"is empty \(0 bytes\)"),
        (b"\n\n", "no header and no rows"),
        (b"a,b,c\n", r"has a header \(a, b, c\) but no data rows"),
        (b"a,b,c", r"has a header \(a, b, c\) but no data rows"),
    ],
)
def test_empty_inputs(tmp_path: Path, content: bytes, fragment: str) -> None:
    path = put(tmp_path, "e.csv", content)
    with pytest.raises(EmptySourceError, match=fragment):
        pv.read(path)


@pytest.mark.parametrize(
    ("content", "line", "found", "kind"),
    [
        (b"a,b,c\n1,2,3\n4,5\n6,7,8\n", 3, 2, "too few"),  # polars would pad with a null
        (b"a,b\n1,2\n3,4,5\n", 3, 3, "too many"),
        (b"a,b\n1,2\n3", 3, 1, "too few"),  # last row without newline
        (b'a,b\n1,"x\ny"\n2\n', 4, 1, "too few"),  # line numbers count quoted newlines
        (b"a,b\n1,2\n\n3,4\n", 3, 1, "too few"),  # a blank line
        (b"a;b\r\n1;2\r\n3\r\n", 3, 1, "too few"),
    ],
)
def test_rows_with_wrong_field_counts(
    tmp_path: Path, content: bytes, line: int, found: int, kind: str
) -> None:
    path = put(tmp_path, "bad.csv", content)
    with pytest.raises(MalformedRowError) as info:
        pv.read(path)
    err = info.value
    assert (err.line, err.found) == (line, found)
    assert err.path == str(path)
    message = str(err)
    assert f"bad.csv: line {line}" in message
    assert kind in message
    assert "(a, b" in message  # the header columns are named


def test_malformed_row_beyond_the_first_chunk(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import privlab.io as pio

    monkeypatch.setattr(pio, "_CHUNK", 7)  # force many chunk boundaries
    path = put(tmp_path, "b.csv", b'a,b\n1,"x,\ny"\n22,33\n4\n5,6\n')
    with pytest.raises(MalformedRowError) as info:
        pv.read(path)
    assert info.value.line == 5
    ok = put(tmp_path, "ok.csv", b'a,b\n1,"x,\ny"\n22,33\n5,6\n')
    assert pv.read(ok).collect().height == 3


def test_unterminated_quote(tmp_path: Path) -> None:
    path = put(tmp_path, "u.csv", b'a,b\n1,"abc\n2,3\n')
    with pytest.raises(MalformedRowError, match="opened on line 2 is never closed"):
        pv.read(path)


def test_undecodable_bytes_name_line_and_column(tmp_path: Path) -> None:
    path = put(tmp_path, "l.csv", "a,b\n1,2\n3,café\n".encode("latin-1"))
    with pytest.raises(DecodeError) as info:
        pv.read(path)
    assert (info.value.line, info.value.column) == (3, 6)
    assert "l.csv: byte 0xe9 at line 3, column 6" in str(info.value)
    assert "latin-1" in str(info.value)
    with pytest.raises(DecodeError, match="cannot be decoded as ascii"):
        pv.read(path, encoding="ascii")


def test_unknown_encoding(tmp_path: Path) -> None:
    path = put(tmp_path, "x.csv", b"a\n1\n")
    with pytest.raises(InputError, match="unknown encoding 'klingon'"):
        pv.read(path, encoding="klingon")


def test_corrupt_binary_files(tmp_path: Path) -> None:
    for ext, label in [("parquet", "Parquet"), ("arrow", "Arrow IPC")]:
        path = put(tmp_path, f"c.{ext}", b"this is not a real file")
        with pytest.raises(InputError, match=f"c.{ext} is not a readable {label} file"):
            pv.read(path)


def test_empty_parquet(tmp_path: Path) -> None:
    FRAME.head(0).write_parquet(tmp_path / "e.parquet")
    with pytest.raises(EmptySourceError, match="no rows"):
        pv.read(tmp_path / "e.parquet")


def test_malformed_ndjson_names_the_line(tmp_path: Path) -> None:
    path = put(tmp_path, "n.ndjson", b'{"a": 1}\n{"a": 2}\n{"a": 3\n')
    with pytest.raises(InputError, match=r"n\.ndjson is not valid NDJSON at line 3"):
        pv.read(path)


def test_folder_is_not_a_file(tmp_path: Path) -> None:
    (tmp_path / "d.csv").mkdir()
    with pytest.raises(InputError, match="is a folder"):
        pv.read(tmp_path / "d.csv")


# -- writing ---------------------------------------------------------------------------


def test_write_refuses_to_overwrite_its_scan_source(tmp_path: Path) -> None:
    src = pv.write(FRAME, tmp_path / "src.csv")
    before = src.read_bytes()
    lazy = pv.read(src).filter(pl.col("id") > 1)
    with pytest.raises(OverwriteSourceError, match=r"src\.csv: it is the file the data was read"):
        pv.write(lazy, src)
    assert src.read_bytes() == before
    assert listing(tmp_path) == ["src.csv"]


def test_write_refuses_an_explicit_source(tmp_path: Path) -> None:
    src = pv.write(FRAME, tmp_path / "src.parquet")
    with pytest.raises(OverwriteSourceError):
        pv.write(pv.read(src).collect(), tmp_path / "." / "src.parquet", source=src)
    assert listing(tmp_path) == ["src.parquet"]


def test_write_errors_write_nothing(tmp_path: Path) -> None:
    with pytest.raises(UnsupportedFormatError, match=r"'\.xlsx'"):
        pv.write(FRAME, tmp_path / "t.xlsx")
    with pytest.raises(OutputError, match="does not exist"):
        pv.write(FRAME, tmp_path / "missing" / "t.csv")
    with pytest.raises(UnsupportedFormatError, match="type 'list'"):
        pv.write([1, 2], tmp_path / "t.csv")
    assert listing(tmp_path) == []


def test_a_failed_write_leaves_the_old_file_intact(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = pv.write(FRAME, tmp_path / "t.csv")
    before = target.read_bytes()

    def half_then_crash(self: pl.DataFrame, path: Path, **_: object) -> None:
        Path(path).write_bytes(b"id,name\n1,half")
        raise OSError("disk full")

    monkeypatch.setattr(pl.DataFrame, "write_csv", half_then_crash)
    with pytest.raises(OutputError, match="nothing was written: disk full"):
        pv.write(FRAME.with_columns(pl.lit("new").alias("name")), target)
    assert target.read_bytes() == before
    assert listing(tmp_path) == ["t.csv"]


def test_write_is_a_rename_into_place(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[tuple[str, str]] = []
    real = os.replace

    def spy(a: str | os.PathLike[str], b: str | os.PathLike[str]) -> None:
        seen.append((Path(a).name, Path(b).name))
        real(a, b)

    monkeypatch.setattr(os, "replace", spy)
    pv.write(FRAME, tmp_path / "t.parquet")
    assert len(seen) == 1
    assert seen[0][0].startswith(".t.parquet.")
    assert seen[0][1] == "t.parquet"


# -- fingerprints ----------------------------------------------------------------------


def test_fingerprint_is_format_and_name_independent(tmp_path: Path) -> None:
    a = pv.fingerprint(pv.write(FRAME, tmp_path / "a.parquet"))
    b = pv.fingerprint(pv.write(FRAME, tmp_path / "b.arrow"))
    assert a == b
    assert a.rows == 3
    assert a.schema[0] == ("id", "Int64")


def test_fingerprint_changes_with_any_value_or_dtype() -> None:
    base = pv.fingerprint(FRAME)
    assert pv.fingerprint(FRAME.with_columns(pl.col("score").fill_null(0))) != base
    assert pv.fingerprint(FRAME.with_columns(pl.col("id").cast(pl.Int32))).schema_hash != (
        base.schema_hash
    )
    assert pv.fingerprint(FRAME.reverse()).content_hash != base.content_hash


def test_fingerprint_reveals_no_values() -> None:
    text = str(pv.fingerprint(FRAME).to_dict())
    for value in ["Ada", "02139", "Hopper"]:
        assert value not in text


# -- property ----------------------------------------------------------------------------

cell = st.text(alphabet=st.sampled_from(list('ab ,;"\n\t\rxé1')), min_size=1, max_size=8)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(rows=st.lists(st.tuples(cell, cell), min_size=1, max_size=12))
def test_csv_round_trip_property(tmp_path: Path, rows: list[tuple[str, str]]) -> None:
    frame = pl.DataFrame({"left": [r[0] for r in rows], "right": [r[1] for r in rows]})
    path = tmp_path / "p.csv"
    path.unlink(missing_ok=True)
    frame.write_csv(path)
    back = pv.read(path, schema_overrides={"left": pl.String, "right": pl.String}).collect()
    assert back.equals(frame)
