"""pv.synthesize: reproducibility, identifiers, holdout, multi-table integrity, errors."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import polars as pl
import pytest

import privlab as pv
from privlab.exceptions import SynthesisError

IDENTIFIERS = ["patient_id", "full_name", "email", "ssn", "notes"]


def test_shape_dtypes_and_counts(fitted: Any, patients_df: pl.DataFrame) -> None:
    data = fitted.data
    assert data.shape == (250, patients_df.width)
    assert data.columns == patients_df.columns
    assert data.schema == patients_df.schema
    assert fitted.rows == {
        "real": {"data": 210},
        "holdout": {"data": 90},
        "synthetic": {"data": 250},
    }
    # dates kept as ISO text, as in the input
    assert data["date_of_birth"].str.to_date("%Y-%m-%d", strict=False).null_count() == 0


def test_same_seed_same_data_different_seed_different_data(fitted: Any) -> None:
    again = fitted.resample(250, seed=11)
    other = fitted.resample(250, seed=12)
    assert again.data.equals(fitted.data)
    for col in ["age", "total_charges", "email", "full_name", "ssn", "date_of_birth"]:
        share_equal = (other.data[col] == fitted.data[col]).mean()
        assert share_equal < 0.2, col


def test_refit_with_same_seed_is_reproducible(
    patients_df: pl.DataFrame, patient_pii: dict[str, Any]
) -> None:
    small = patients_df.head(120)
    a = pv.synthesize(small, rows=50, profile=patient_pii, seed=3)
    b = pv.synthesize(small, rows=50, profile=patient_pii, seed=3)
    c = pv.synthesize(small, rows=50, profile=patient_pii, seed=4)
    assert a.data.equals(b.data)
    assert not a.data.equals(c.data)


def test_no_real_identifier_value_in_synthetic_output(
    fitted: Any, patients_df: pl.DataFrame
) -> None:
    for col in IDENTIFIERS:
        real = patients_df[col].implode()
        assert not fitted.data[col].is_in(real).any(), col
    # and no real identifier appears anywhere in any synthetic cell
    real_ids = set(patients_df.select(IDENTIFIERS[:4]).unpivot()["value"].to_list())
    cells = set(fitted.data.cast(pl.String).unpivot()["value"].drop_nulls().to_list())
    assert not real_ids & cells


def test_replay_filter_redraws_colliding_values() -> None:
    # a tiny name space forces Faker to collide with real names
    real = pl.DataFrame({"name": ["A B"] * 10 + ["C D"] * 10, "x": list(range(20))})
    from privlab.synth._replay import real_values
    from privlab.synth._synthesize import _redraw_replayed

    syn = pl.Series("name", ["A B", "fresh", "C D", None])
    names = iter(["A B", "C D", "E F", "G H"])
    known = real_values(real, generated=["name"])
    fresh, n = _redraw_replayed(syn, known, lambda faker: next(names), seed=1)
    assert n == 2
    assert fresh.to_list() == ["E F", "fresh", "G H", None]


def test_a_generated_value_that_contains_a_real_name_is_redrawn() -> None:
    """Attacker: searches the synthetic names for real people's names, titles aside.

    Faker's "Dr. Kevin Carpenter" is not the real "Kevin Carpenter" as a string, but it
    names him: it is re-drawn like an exact copy (and counted by the replay check).
    """
    from privlab.synth import replay_check
    from privlab.synth._replay import real_values
    from privlab.synth._synthesize import _redraw_replayed

    real = pl.DataFrame(
        {"name": ["Kevin Carpenter", "Sarah Hansen"] + [f"N{i}" for i in range(30)]}
    )
    syn = pl.Series("name", ["Dr. Kevin Carpenter", "Maria Lopez", "Sarah Hansen MD"])
    assert replay_check(real, syn.to_frame()) == {"name": 2}
    draws = iter(["Mr. Sarah Hansen", "Tomas Berg", "Ida Holm"])
    fresh, n = _redraw_replayed(syn, real_values(real), lambda faker: next(draws), seed=1)
    assert n == 2
    assert fresh.to_list() == ["Tomas Berg", "Maria Lopez", "Ida Holm"]


def test_holdout_rows_are_not_training_rows(fitted: Any, patients_df: pl.DataFrame) -> None:
    train_ids = set(fitted._real["data"]["patient_id"].to_list())
    hold_ids = set(fitted._holdout["data"]["patient_id"].to_list())
    assert not train_ids & hold_ids
    assert train_ids | hold_ids == set(patients_df["patient_id"].to_list())


def test_multi_table_referential_integrity(fitted_hma: Any, shop: dict[str, pl.DataFrame]) -> None:
    data = fitted_hma.data
    assert set(data) == {"customers", "orders"}
    customers, orders = data["customers"], data["orders"]
    assert customers["customer_id"].is_unique().all()
    assert orders["order_id"].is_unique().all()
    assert orders["customer_id"].null_count() == 0
    assert orders["customer_id"].is_in(customers["customer_id"].implode()).all()
    assert customers.height == shop["customers"].height
    assert not customers["email"].is_in(shop["customers"]["email"].implode()).any()
    rel = fitted_hma.metadata.relationships
    assert [(r.parent, r.parent_key, r.child, r.child_key) for r in rel] == [
        ("customers", "customer_id", "orders", "customer_id")
    ]


def test_multi_table_seed_controls_output(fitted_hma: Any) -> None:
    same = fitted_hma.resample(seed=5)
    other = fitted_hma.resample(seed=6)
    assert same.data["orders"].equals(fitted_hma.data["orders"])
    assert not other.data["orders"].equals(fitted_hma.data["orders"])


def test_save_writes_no_model_and_no_real_values(
    fitted: Any, patients_df: pl.DataFrame, tmp_path: Path
) -> None:
    fitted.evaluate(n_attacks=40)
    out = fitted.save(tmp_path / "release")
    names = sorted(p.name for p in out.iterdir())
    assert names == ["data.parquet", "manifest.json", "metadata.json", "report.json"]
    assert pl.read_parquet(out / "data.parquet").equals(fitted.data)
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["seed"] == 11
    assert manifest["model"] == "gaussian_copula"
    assert manifest["input_fingerprint"]["data"].startswith("sha256:")
    assert manifest["evaluation"]["quality_score"] is not None
    text = "\n".join((out / n).read_text() for n in names if n.endswith(".json"))
    _assert_no_real_values(text, patients_df)


def _assert_no_real_values(text: str, real: pl.DataFrame) -> None:
    """No real category/identifier (as a JSON string) and no real float bound appears.

    Integer bounds (e.g. a minimum age of 7) are not checked as bare numbers: counts
    in a report can equal them by chance; ``range_`` keys are checked instead.
    """
    assert "range_" not in text
    for col in real.columns:
        series = real[col]
        if series.dtype == pl.String:
            for value in series.drop_nulls().unique().to_list():
                assert json.dumps(value) not in text, (col, value)
        elif series.dtype.is_float():
            for value in (series.min(), series.max()):
                assert not re.search(rf"(?<![\d.]){re.escape(str(value))}(?!\d)", text), (
                    col,
                    value,
                )


def test_metadata_holds_no_real_values(fitted: Any, patients_df: pl.DataFrame) -> None:
    shown = json.dumps(fitted.metadata.to_dict()) + repr(fitted.metadata) + repr(fitted)
    shown += json.dumps(fitted.metadata.to_sdv_dict())
    _assert_no_real_values(shown, patients_df)
    # the SDV synthesizer's own metadata has no ranges or category lists either
    sdv_meta = json.dumps(fitted._synthesizer.get_metadata().to_dict())
    assert "range_" not in sdv_meta
    _assert_no_real_values(sdv_meta, patients_df)


def test_model_is_never_pickled(fitted: Any, tmp_path: Path) -> None:
    out = fitted.save(tmp_path / "r")
    for path in out.iterdir():
        head = path.read_bytes()[:2]
        assert head not in (b"\x80\x04", b"\x80\x05"), path  # pickle protocol 4/5


def test_errors_are_privlab_errors(patients_df: pl.DataFrame) -> None:
    with pytest.raises(SynthesisError, match="model"):
        pv.synthesize(patients_df, model="gan")
    with pytest.raises(SynthesisError, match="hma"):
        pv.synthesize(patients_df, model="hma")
    with pytest.raises(SynthesisError, match="holdout"):
        pv.synthesize(patients_df, holdout=1.5)
    with pytest.raises(SynthesisError, match="rows"):
        pv.synthesize(patients_df.head(20), rows=0)
    with pytest.raises(SynthesisError, match="seed"):
        pv.synthesize(patients_df, seed=-1)
    with pytest.raises(SynthesisError, match=r"dp_aim|mbi"):
        pv.synthesize(patients_df.head(20), model="dp_aim")


def test_orphan_foreign_keys_are_refused(shop: dict[str, pl.DataFrame]) -> None:
    orders = shop["orders"].with_columns(pl.lit(99_999).alias("customer_id"))
    with pytest.raises(SynthesisError, match="referential integrity"):
        pv.synthesize({"customers": shop["customers"], "orders": orders})


def test_callback_reports_progress(patients_df: pl.DataFrame) -> None:
    steps: list[tuple[str, int, int]] = []
    pv.synthesize(patients_df.head(60), rows=20, seed=1, callback=lambda *a: steps.append(a))
    assert [s[0] for s in steps] == ["metadata", "fit", "sample"]
    assert steps[-1][1] == steps[-1][2]


def test_auto_profile_is_used_when_available(monkeypatch: pytest.MonkeyPatch) -> None:
    import types
    from dataclasses import dataclass

    @dataclass
    class Col:
        name: str
        role: str
        semantic_type: str | None

    calls: list[int] = []

    def fake_profile(df: pl.DataFrame) -> Any:
        calls.append(df.height)
        return types.SimpleNamespace(
            columns=[Col("contact", "direct_identifier", "email"), Col("n", "other", None)]
        )

    monkeypatch.setattr("privlab.synth._synthesize.run_profile", fake_profile)
    df = pl.DataFrame({"contact": ["a@x.example", "b@x.example"] * 15, "n": list(range(30))})
    syn = pv.synthesize(df, rows=10, seed=0)
    assert calls == [30]
    assert syn.metadata.tables["data"].column("contact").sdtype == "email"


@pytest.mark.slow
@pytest.mark.parametrize("model", ["tvae"])  # CTGAN: same seeding path, 10x slower fit
def test_neural_models_are_seeded(
    model: str, patients_df: pl.DataFrame, patient_pii: dict[str, Any]
) -> None:
    small = patients_df.head(80)
    a = pv.synthesize(small, model=model, rows=30, profile=patient_pii, seed=1, epochs=1)
    b = pv.synthesize(small, model=model, rows=30, profile=patient_pii, seed=1, epochs=1)
    assert a.data.equals(b.data)
    assert not a.resample(30, seed=2).data.equals(a.data)
    assert a.params["epochs"] == 1


def test_identifiers_never_replay_holdout_rows_either() -> None:
    """The replay filter covers every real row handed in, not only the training part."""
    from privlab.synth._synthesize import _split_holdout

    base = pl.DataFrame(
        {
            "rid": list(range(60)),
            "who": ["placeholder"] * 60,
            "age": [20 + i % 50 for i in range(60)],
        }
    )
    first = pv.synthesize(base, rows=30, profile={"who": "person_name"}, seed=5, progress=False)
    generated = first.data["who"].to_list()  # what Faker draws for this seed
    _, held = _split_holdout({"data": base}, 0.5, 5)
    assert held is not None
    held_ids = held["data"]["rid"].to_list()
    # plant the names Faker will draw into the rows that become the holdout only
    planted = {rid: generated[i % len(generated)] for i, rid in enumerate(held_ids)}
    real = base.with_columns(
        pl.col("rid").replace_strict(planted, default="placeholder").alias("who")
    )
    syn = pv.synthesize(
        real, rows=30, profile={"who": "person_name"}, seed=5, holdout=0.5, progress=False
    )
    assert syn.replay_redrawn.get("data", {}).get("who", 0) > 0
    assert not syn.data["who"].is_in(real["who"].implode()).any()


def test_keep_reasons_go_into_the_written_manifest(fitted: Any, tmp_path: Path) -> None:
    """An override of the release guard is recorded where the release is (and audited)."""
    out = fitted.save(tmp_path / "kept", keep={"city": "coarse area, agreed with the DPO"})
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["keep"] == {"city": "coarse area, agreed with the DPO"}
    assert "keep" not in fitted.manifest()  # the object itself carries no release state


def test_primary_keys_equal_to_real_keys_are_redrawn_and_children_follow() -> None:
    """Attacker: holds the real table and looks its keys up in the synthetic file.

    SDV draws integer keys at random from a fixed range, so real keys in that range
    turn up by chance (2 of 5,000 rows against 3,000 real seven-digit keys). Must not
    achieve: any synthetic key equal to a real (training or holdout) key — and the
    re-drawn parent keys must not orphan the child rows pointing at them.
    """
    from types import SimpleNamespace

    from privlab.synth._metadata import Relationship
    from privlab.synth._synthesize import _redraw_keys

    real = {
        "customers": pl.DataFrame({"cid": [10, 11, 12, 13], "code": ["a", "b", "c", "d"]}),
        "orders": pl.DataFrame({"oid": ["o-1", "o-2"], "cid": [10, 11]}),
    }
    tables = {
        "customers": pl.DataFrame({"cid": [11, 500, 13, 501], "code": ["x", "y", "z", "w"]}),
        "orders": pl.DataFrame({"oid": ["o-2", "s-9", "s-8"], "cid": [11, 13, 500]}),
    }
    metadata = SimpleNamespace(
        tables={"customers": SimpleNamespace(primary_key="cid"),
                "orders": SimpleNamespace(primary_key="oid")},
        relationships=(Relationship("customers", "cid", "orders", "cid"),),
    )  # fmt: skip
    redrawn: dict[str, dict[str, int]] = {}
    _redraw_keys(tables, metadata, real, seed=3, redrawn=redrawn)  # type: ignore[arg-type]
    customers, orders = tables["customers"], tables["orders"]
    assert redrawn == {"customers": {"cid": 2}, "orders": {"oid": 1}}
    assert not customers["cid"].is_in(real["customers"]["cid"].implode()).any()
    assert customers["cid"].is_unique().all()
    assert customers["cid"].to_list()[1::2] == [500, 501]  # clean keys untouched
    assert customers["code"].to_list() == ["x", "y", "z", "w"]
    assert orders["cid"].is_in(customers["cid"].implode()).all()  # children follow
    assert orders["cid"].to_list()[:2] == customers["cid"].to_list()[0:3:2]
    assert orders["oid"].to_list() == ["o-2-r0", "s-9", "s-8"]
