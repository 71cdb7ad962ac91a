"""privlab.io.write: atomic, format by extension, never over its own source."""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

import pandas as pd
import polars as pl
import pytest
from polars.testing import assert_frame_equal

import privlab as pv
from privlab.exceptions import OutputError, OverwriteSourceError, UnsupportedFormatError
from privlab.io import _write
from privlab.io._formats import FileFormat

FRAME = pl.DataFrame({"id": [1, 2, 3], "city": ["Bern", "Zürich, ZH", None]})
OLD = b"id,city\n9,old\n"


@pytest.fixture
def existing(tmp_path: Path) -> Path:
    path = tmp_path / "out.csv"
    path.write_bytes(OLD)
    return path


def test_returns_the_absolute_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert pv.write(FRAME, "t.parquet") == tmp_path / "t.parquet"


@pytest.mark.parametrize("kind", ["lazy", "eager", "pandas"])
@pytest.mark.parametrize("ext", ["csv", "tsv", "parquet", "ndjson", "arrow", "csv.gz"])
def test_every_input_type_and_format(tmp_path: Path, kind: str, ext: str) -> None:
    frame = {"lazy": FRAME.lazy(), "eager": FRAME, "pandas": FRAME.to_pandas()}[kind]
    path = pv.write(frame, tmp_path / f"t.{ext}")
    assert_frame_equal(pv.read(path).collect(), FRAME)
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"t.{ext}"]  # no temp files


def test_tsv_is_tab_separated(tmp_path: Path) -> None:
    path = pv.write(FRAME, tmp_path / "t.tsv")
    assert path.read_text().splitlines()[0] == "id\tcity"


def test_gzip_output_is_reproducible(tmp_path: Path) -> None:
    a = pv.write(FRAME, tmp_path / "a.csv.gz").read_bytes()
    b = pv.write(FRAME, tmp_path / "b.csv.gz").read_bytes()
    assert a == b


def test_replaces_an_existing_file_keeping_its_mode(existing: Path) -> None:
    existing.chmod(0o640)
    pv.write(FRAME, existing)
    assert_frame_equal(pv.read(existing).collect(), FRAME)
    assert stat.S_IMODE(existing.stat().st_mode) == 0o640


def test_new_file_gets_the_umask_mode_not_the_temp_file_mode(tmp_path: Path) -> None:
    umask = os.umask(0o022)
    try:
        path = pv.write(FRAME, tmp_path / "t.csv")
    finally:
        os.umask(umask)
    assert stat.S_IMODE(path.stat().st_mode) == 0o644


# -- atomicity -------------------------------------------------------------------------------
def _half_writer(frame: object, tmp: Path, fmt: FileFormat) -> None:
    tmp.write_bytes(b"id,city\n1,Be")  # part of the output, then the failure
    raise RuntimeError("simulated crash mid-write")


def test_failure_mid_write_keeps_the_old_file(
    existing: Path, monkeypatch: pytest.MonkeyPatch, nothing_written
) -> None:
    monkeypatch.setitem(_write.WRITERS, "csv", _half_writer)
    with nothing_written(existing.parent), pytest.raises(RuntimeError, match="simulated"):
        pv.write(FRAME, existing)
    assert existing.read_bytes() == OLD


def test_failure_mid_write_leaves_no_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, nothing_written
) -> None:
    monkeypatch.setitem(_write.WRITERS, "csv", _half_writer)
    with nothing_written(tmp_path), pytest.raises(RuntimeError):
        pv.write(FRAME, tmp_path / "new.csv")
    assert not (tmp_path / "new.csv").exists()


def test_interrupt_mid_write_cleans_up(
    existing: Path, monkeypatch: pytest.MonkeyPatch, nothing_written
) -> None:
    def interrupted(frame: object, tmp: Path, fmt: FileFormat) -> None:
        tmp.write_bytes(b"partial")
        raise KeyboardInterrupt

    monkeypatch.setitem(_write.WRITERS, "csv", interrupted)
    with nothing_written(existing.parent), pytest.raises(KeyboardInterrupt):
        pv.write(FRAME, existing)


def test_os_error_becomes_output_error(
    existing: Path, monkeypatch: pytest.MonkeyPatch, nothing_written
) -> None:
    def disk_full(frame: object, tmp: Path, fmt: FileFormat) -> None:
        tmp.write_bytes(b"id,ci")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setitem(_write.WRITERS, "csv", disk_full)
    with nothing_written(existing.parent), pytest.raises(OutputError) as info:
        pv.write(FRAME, existing)
    assert "could not write" in str(info.value)
    assert "out.csv" in str(info.value)
    assert "No space left" in str(info.value)


def test_failing_query_writes_nothing(existing: Path, nothing_written) -> None:
    broken = FRAME.lazy().select(pl.col("city").cast(pl.Int64, strict=True))
    with nothing_written(existing.parent), pytest.raises(pl.exceptions.PolarsError):
        pv.write(broken, existing)


# -- refusing to overwrite the source -----------------------------------------------------
@pytest.mark.parametrize("ext", ["csv", "parquet", "ndjson", "arrow"])
def test_refuses_to_overwrite_its_scan_source(tmp_path: Path, ext: str, nothing_written) -> None:
    source = pv.write(FRAME, tmp_path / f"data.{ext}")
    derived = pv.read(source).filter(pl.col("id") > 1).select("city")
    with nothing_written(tmp_path), pytest.raises(OverwriteSourceError) as info:
        pv.write(derived, source)
    message = str(info.value)
    assert f"refusing to overwrite '{source}'" in message
    assert "a file its query plan scans" in message
    assert f"data.out.{ext}" in message


def test_refuses_a_relative_path_to_the_same_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = pv.write(FRAME, tmp_path / "data.csv")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(OverwriteSourceError):
        pv.write(pv.read(source), "./data.csv")


def test_refuses_a_hard_link_to_the_source(tmp_path: Path) -> None:
    source = pv.write(FRAME, tmp_path / "data.csv")
    os.link(source, tmp_path / "alias.csv")
    with pytest.raises(OverwriteSourceError):
        pv.write(pv.read(source), tmp_path / "alias.csv")


def test_refuses_the_explicit_source(existing: Path, nothing_written) -> None:
    collected = pv.read(existing).collect()  # a DataFrame carries no plan
    with nothing_written(existing.parent), pytest.raises(OverwriteSourceError) as info:
        pv.write(collected, existing, source=existing)
    assert "it is the source= argument" in str(info.value)


def test_refuses_the_source_of_a_transcoded_read(tmp_path: Path, nothing_written) -> None:
    source = tmp_path / "latin.csv"
    source.write_bytes("name\nJosé\n".encode("latin-1"))
    frame = pv.read(source, encoding="latin-1")
    with nothing_written(tmp_path), pytest.raises(OverwriteSourceError, match="read from"):
        pv.write(frame, source)


def test_refuses_a_file_in_a_multi_file_scan(tmp_path: Path) -> None:
    a = pv.write(FRAME, tmp_path / "a.parquet")
    b = pv.write(FRAME, tmp_path / "b.parquet")
    c = pv.write(FRAME, tmp_path / "c.parquet")
    # explain() abbreviates this to "[a, ... 2 other sources]"; the JSON plan lists all.
    combined = pl.scan_parquet([a, b, c]).join(FRAME.lazy(), on="id")
    with pytest.raises(OverwriteSourceError):
        pv.write(combined, c)


def test_refuses_a_file_matched_by_a_glob_scan(tmp_path: Path) -> None:
    pv.write(FRAME, tmp_path / "part-1.parquet")
    target = pv.write(FRAME, tmp_path / "part-2.parquet")
    with pytest.raises(OverwriteSourceError):
        pv.write(pl.scan_parquet(tmp_path / "part-*.parquet"), target)


def test_writing_elsewhere_is_fine(tmp_path: Path) -> None:
    source = pv.write(FRAME, tmp_path / "data.csv")
    out = pv.write(pv.read(source), tmp_path / "data.out.csv", source=source)
    assert out.read_bytes() == source.read_bytes()


# -- other errors: nothing written -----------------------------------------------------------
def test_unknown_extension(tmp_path: Path, nothing_written) -> None:
    with nothing_written(tmp_path), pytest.raises(UnsupportedFormatError) as info:
        pv.write(FRAME, tmp_path / "t.xlsx")
    assert "t.xlsx' from its extension '.xlsx'" in str(info.value)
    assert ".parquet" in str(info.value)
    assert not (tmp_path / "t.xlsx").exists()


def test_missing_folder_is_not_created(tmp_path: Path, nothing_written) -> None:
    with nothing_written(tmp_path), pytest.raises(OutputError) as info:
        pv.write(FRAME, tmp_path / "no" / "such" / "t.csv")
    assert f"the folder '{tmp_path / 'no' / 'such'}' does not exist" in str(info.value)
    assert not (tmp_path / "no").exists()


def test_target_is_a_directory(tmp_path: Path, nothing_written) -> None:
    (tmp_path / "d.csv").mkdir()
    with nothing_written(tmp_path), pytest.raises(OutputError, match="it is a directory"):
        pv.write(FRAME, tmp_path / "d.csv")


def test_nested_columns_cannot_go_to_csv(tmp_path: Path, nothing_written) -> None:
    nested = FRAME.with_columns(tags=pl.Series([["a"], [], None]))
    with nothing_written(tmp_path), pytest.raises(UnsupportedFormatError) as info:
        pv.write(nested, tmp_path / "t.csv")
    assert "columns ['tags'] hold nested values" in str(info.value)
    assert "write Parquet" in str(info.value)


def test_unsupported_object(tmp_path: Path, nothing_written) -> None:
    with nothing_written(tmp_path), pytest.raises(UnsupportedFormatError, match="got dict"):
        pv.write({"a": [1]}, tmp_path / "t.csv")


def test_pandas_with_unconvertible_objects(tmp_path: Path, nothing_written) -> None:
    frame = pd.DataFrame({"mixed": [1, "two", 3.0]})
    with nothing_written(tmp_path), pytest.raises(UnsupportedFormatError, match="astype"):
        pv.write(frame, tmp_path / "t.parquet")
