"""Privacy models: k-anonymity, ℓ-diversity (distinct, entropy, recursive) and t-closeness.

Each model is a small, validated description; the search (:mod:`._search`) and
the risk report (:mod:`privlab.risk`) evaluate them on equivalence classes —
the groups of records that share all quasi-identifier values.

Definitions (as in ARX):

- **k-anonymity**: every class has at least *k* records.
- **distinct ℓ-diversity**: every class has at least *ℓ* distinct sensitive values.
- **entropy ℓ-diversity**: the entropy of every class's sensitive values is at
  least ``log(ℓ)``.
- **recursive (c, ℓ)-diversity**: in every class, with the sensitive value counts
  sorted descending ``r1 ≥ r2 ≥ … ≥ rm``, ``r1 < c · (rℓ + … + rm)``.
- **t-closeness**: the distance between every class's sensitive distribution and
  the whole table's is at most *t* — *equal distance* (half the L1 distance) for
  categorical values, *ordered distance* (earth mover's distance over the sorted
  values, divided by ``m − 1``) for numeric ones.

Examples
--------
>>> from privlab.models import KAnonymity, LDiversity
>>> KAnonymity(5)
KAnonymity(k=5)
>>> LDiversity("diagnosis", 2, variant="entropy").monotone(max_suppression=0.05)
False
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

__all__ = ["KAnonymity", "LDiversity", "PrivacyModel", "TCloseness"]


@dataclass(frozen=True)
class KAnonymity:
    """Every equivalence class has at least *k* records."""

    k: int

    def __post_init__(self) -> None:
        if isinstance(self.k, bool) or not isinstance(self.k, int) or self.k < 1:
            raise ValueError(f"`k` must be an integer >= 1, got {self.k!r}")

    @property
    def sensitive(self) -> None:
        """The sensitive column the model reads: none for k-anonymity."""
        return None

    def monotone(self, *, max_suppression: float) -> bool:
        """k-anonymity stays satisfied under generalization, with or without suppression."""
        return True

    def describe(self) -> str:
        """A short label, e.g. ``'5-anonymity'``."""
        return f"{self.k}-anonymity"

    def to_dict(self) -> dict[str, Any]:
        """The model as recorded in manifests: ``{"model": "k", "k": k}``."""
        return {"model": "k", "k": self.k}

    def __repr__(self) -> str:
        return f"KAnonymity(k={self.k})"


@dataclass(frozen=True)
class LDiversity:
    """Every class holds *l* "well-represented" values of the sensitive *column*."""

    column: str
    l: float
    variant: Literal["distinct", "entropy", "recursive"] = "distinct"
    c: float | None = None

    def __post_init__(self) -> None:
        if self.variant not in ("distinct", "entropy", "recursive"):
            raise ValueError(
                f"ℓ-diversity variant must be 'distinct', 'entropy' or 'recursive', "
                f"got {self.variant!r}"
            )
        if isinstance(self.l, bool) or not isinstance(self.l, int | float) or self.l < 1:
            raise ValueError(f"`l` must be a number >= 1, got {self.l!r}")
        if self.variant == "distinct" and float(self.l) != int(self.l):
            raise ValueError(f"distinct ℓ-diversity needs a whole `l`, got {self.l!r}")
        if self.variant == "recursive":
            if self.c is None or not self.c > 0:
                raise ValueError(f"recursive (c,ℓ)-diversity needs `c` > 0, got {self.c!r}")
            if float(self.l) != int(self.l) or self.l < 2:
                raise ValueError(
                    f"recursive (c,ℓ)-diversity needs a whole `l` >= 2, got {self.l!r}"
                )
        elif self.c is not None:
            raise ValueError(f"`c` applies only to the recursive variant, not {self.variant!r}")

    @property
    def sensitive(self) -> str:
        """The sensitive column the model reads."""
        return self.column

    def monotone(self, *, max_suppression: float) -> bool:
        """Distinct ℓ-diversity always; entropy only without suppression; recursive never.

        Merging classes that each satisfy the model keeps it satisfied for the
        distinct and entropy variants; with suppression, a merge with a violating
        class can *add* suppressed records, so only distinct ℓ stays monotone.
        """
        if self.variant == "distinct":
            return True
        return self.variant == "entropy" and max_suppression == 0

    def describe(self) -> str:
        """A short label, e.g. ``"distinct 2-diversity on 'diagnosis'"``."""
        if self.variant == "recursive":
            return f"recursive ({self.c:g},{self.l:g})-diversity on {self.column!r}"
        return f"{self.variant} {self.l:g}-diversity on {self.column!r}"

    def to_dict(self) -> dict[str, Any]:
        """The model as recorded in manifests (column, ℓ, variant and c when recursive)."""
        out: dict[str, Any] = {
            "model": "l",
            "column": self.column,
            "l": self.l,
            "variant": self.variant,
        }
        if self.c is not None:
            out["c"] = self.c
        return out


@dataclass(frozen=True)
class TCloseness:
    """Every class's distribution of *column* is within distance *t* of the table's.

    *ordered* picks the ordered distance (numeric or ordinal values); ``None``
    decides from the column's dtype when the data is seen.
    """

    column: str
    t: float
    ordered: bool | None = None

    def __post_init__(self) -> None:
        if isinstance(self.t, bool) or not isinstance(self.t, int | float) or not 0 <= self.t <= 1:
            raise ValueError(f"`t` must be a number in [0, 1], got {self.t!r}")

    @property
    def sensitive(self) -> str:
        """The sensitive column the model reads."""
        return self.column

    def monotone(self, *, max_suppression: float) -> bool:
        """Distances are convex in the distribution: monotone without suppression."""
        return max_suppression == 0

    def describe(self) -> str:
        """A short label, e.g. ``"0.2-closeness (auto distance) on 'income'"``."""
        kind = {True: "ordered", False: "equal", None: "auto"}[self.ordered]
        return f"{self.t:g}-closeness ({kind} distance) on {self.column!r}"

    def to_dict(self) -> dict[str, Any]:
        """The model as recorded in manifests: column, t and the distance's kind."""
        return {"model": "t", "column": self.column, "t": self.t, "ordered": self.ordered}


PrivacyModel = KAnonymity | LDiversity | TCloseness
