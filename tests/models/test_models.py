"""Privacy-model descriptions: validation and monotonicity claims."""

from __future__ import annotations

import pytest

from privlab.models import KAnonymity, LDiversity, TCloseness


@pytest.mark.parametrize(
    ("factory", "fragment"),
    [
        (lambda: KAnonymity(0), "integer >= 1"),
        (lambda: KAnonymity(2.5), "integer >= 1"),  # type: ignore[arg-type]
        (lambda: LDiversity("s", 0), "`l` must be a number >= 1"),
        (lambda: LDiversity("s", 2.5), "whole `l`"),
        (lambda: LDiversity("s", 2, variant="recursive"), "needs `c` > 0"),
        (lambda: LDiversity("s", 2, c=3), "only to the recursive"),
        (lambda: LDiversity("s", 2, variant="max"), "variant must be"),  # type: ignore[arg-type]
        (lambda: TCloseness("s", 1.5), r"in \[0, 1\]"),
    ],
)
def test_invalid_parameters(factory: object, fragment: str) -> None:
    with pytest.raises(ValueError, match=fragment):
        factory()  # type: ignore[operator]


def test_monotonicity_claims() -> None:
    assert KAnonymity(3).monotone(max_suppression=0.1)
    assert LDiversity("s", 2).monotone(max_suppression=0.1)
    assert LDiversity("s", 2, variant="entropy").monotone(max_suppression=0)
    assert not LDiversity("s", 2, variant="entropy").monotone(max_suppression=0.1)
    assert not LDiversity("s", 2, variant="recursive", c=3).monotone(max_suppression=0)
    assert TCloseness("s", 0.2).monotone(max_suppression=0)
    assert not TCloseness("s", 0.2).monotone(max_suppression=0.01)


def test_descriptions_and_dicts() -> None:
    assert LDiversity("dx", 3, variant="recursive", c=2).describe() == (
        "recursive (2,3)-diversity on 'dx'"
    )
    assert TCloseness("pay", 0.2, ordered=True).to_dict() == {
        "model": "t",
        "column": "pay",
        "t": 0.2,
        "ordered": True,
    }
    assert KAnonymity(5).to_dict() == {"model": "k", "k": 5}
