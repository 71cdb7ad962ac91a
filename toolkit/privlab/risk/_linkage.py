"""A linkage attack on released microdata (anonymized or synthetic), with a stated attacker.

**What the attacker knows.** The quasi-identifier values of a target (from the
real world: a voter roll, a news story) and the whole release. The
**prosecutor** also knows the target is in the release; the **journalist** does
not — the target is someone of a population of which the release holds a share
``π = released people / population`` (:func:`linkage_attack`'s
``population_size``).

**How they attack.** The released records *compatible* with the target on the
most QIs are its candidates. A generalized label is compatible when it covers
the target's value; a raw value scores 2 when equal and 1 when in the same
workload bin. A suppressed value (``*``) carries no information and matches no
one: a record matches a target only on the QIs it still carries (ARX's outlier
semantics), so a fully suppressed record is never a candidate — unless the
release says nothing about anyone (then every record is).

**What counts as success.** ``success="value"``: the attacker guesses the
target's sensitive value as the most common one among the candidates (ties go to
the release's most common value). ``success="record"``: the attacker picks one
candidate at random and succeeds when it is the target's own record (expected
success ``1/|candidates|``; needs a row-aligned release, as masked anonymized
releases are).

**What is reported.** The same attack runs on **members** (records the release
was made from) and on **non-members** (real records of the same population that
were never released): what the attacker also achieves on people who are not in
the release is what population statistics give anyone. The advantage is
``member success − non-member success`` (times ``π`` for the journalist, who
cannot tell whether a target is in the release), with a confidence interval
(Agresti–Caffo for a difference of two proportions) — not clipped: a negative
value is noise around zero and is shown as such.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from statistics import NormalDist
from typing import Any, Literal

import numpy as np
import polars as pl

from privlab._validate import check_int
from privlab.exceptions import ColumnNotFoundError, InputError

__all__ = ["LinkageResult", "linkage_attack"]

SUPPRESSED = "*"


@dataclass(frozen=True)
class LinkageResult:
    """Outcome of :func:`linkage_attack` (figures only, no data).

    Attributes
    ----------
    attacker:
        ``"prosecutor"`` (knows the target is in the release) or ``"journalist"``.
    success_kind:
        ``"value"`` (the target's sensitive value) or ``"record"`` (its record).
    member_success, non_member_success:
        Mean success on member and non-member targets.
    advantage, ci:
        ``π · (member − non-member)`` and its interval (π = 1 for the prosecutor).
    membership_share:
        π: the share of the population the release holds (journalist).
    baseline:
        Success of guessing the release's most common sensitive value for every
        member target (value success only).
    identified:
        Share of member targets whose only candidate is their own record
        (row-aligned releases), else ``None``.
    targets:
        ``(members, non_members)`` attacked.
    """

    attacker: str
    success_kind: str
    member_success: float
    non_member_success: float
    advantage: float
    ci: tuple[float, float]
    membership_share: float
    baseline: float | None
    identified: float | None
    targets: tuple[int, int]
    confidence_level: float = 0.95

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready figures."""
        out = asdict(self)
        out["ci"] = list(self.ci)
        out["targets"] = list(self.targets)
        return out


def _codes(values: list[str | None], vocabulary: dict[str, int]) -> np.ndarray:
    return np.array([vocabulary.get(v, -1) if v is not None else -1 for v in values])


def _scores(
    targets: pl.DataFrame, frame: pl.DataFrame, release: Any, qis: Sequence[str], workload: Any
) -> np.ndarray:
    """Compatibility score of every (target, released record): 2 per matching QI, 1 per bin."""
    score = np.zeros((targets.height, frame.height), dtype=np.int32)
    for q in qis:
        target_vals = targets[q].cast(pl.String).to_list()
        labels = frame[q].cast(pl.String).to_list()
        cov = release.coverage.get(q)
        if cov is not None:
            label_vocab = {v: i for i, v in enumerate(sorted({x for x in labels if x is not None}))}
            value_vocab = {v: i for i, v in enumerate(sorted(cov["value"].unique().to_list()))}
            matrix = np.zeros((len(label_vocab) + 1, len(value_vocab) + 1), dtype=bool)
            for label, value in cov.select("label", "value").iter_rows():
                if label in label_vocab and value in value_vocab:
                    matrix[label_vocab[label], value_vocab[value]] = True
            if SUPPRESSED in label_vocab:  # a suppressed value matches no one
                matrix[label_vocab[SUPPRESSED], :] = False
            lc = _codes(labels, label_vocab)
            vc = _codes(target_vals, value_vocab)
            score += 2 * matrix[lc[None, :], vc[:, None]]
            continue
        # raw values: an exact match scores 2, the same workload bin 1, `*` nothing
        vocab_raw = {v: i for i, v in enumerate(sorted({x for x in labels if x is not None}))}
        rel_c, tgt_c = _codes(labels, vocab_raw), _codes(target_vals, vocab_raw)
        exact = (rel_c[None, :] == tgt_c[:, None]) & (tgt_c[:, None] >= 0)
        bins = workload.bins.get(q)
        expr = bins.expr(pl.col(q)) if bins is not None else pl.col(q).cast(pl.String)
        rel_b = frame.select(expr.alias("b"))["b"].to_list()
        tgt_b = targets.select(expr.alias("b"))["b"].to_list()
        vocab = {v: i for i, v in enumerate(sorted({x for x in rel_b + tgt_b if x is not None}))}
        rc, tc = _codes(rel_b, vocab), _codes(tgt_b, vocab)
        star = np.array([v == SUPPRESSED for v in labels], dtype=bool)
        same_bin = (rc[None, :] == tc[:, None]) & (tc[:, None] >= 0) & ~star[None, :]
        score += np.where(exact & ~star[None, :], 2, same_bin.astype(np.int32)).astype(np.int32)
    return score


def _difference_ci(
    x_m: float, n_m: int, x_n: float, n_n: int, confidence_level: float
) -> tuple[float, float]:
    """Agresti–Caffo interval of p_m − p_n (one pseudo-success and -failure per group)."""
    z = NormalDist().inv_cdf(0.5 * (1.0 + confidence_level))
    pm, pn = (x_m + 1) / (n_m + 2), (x_n + 1) / (n_n + 2)
    se = math.sqrt(pm * (1 - pm) / (n_m + 2) + pn * (1 - pn) / (n_n + 2))
    return pm - pn - z * se, pm - pn + z * se


def linkage_attack(
    original: pl.DataFrame,
    release: Any,
    quasi_identifiers: Sequence[str],
    sensitive: str,
    workload: Any,
    *,
    non_members: pl.DataFrame,
    attacker: Literal["prosecutor", "journalist"] = "prosecutor",
    success: Literal["value", "record"] = "value",
    population_size: int | None = None,
    targets: int = 500,
    seed: int = 0,
    confidence_level: float = 0.95,
) -> LinkageResult:
    """Attack *release* with targets' QIs; the advantage of members over non-members.

    Parameters
    ----------
    original:
        The real records the release was made from (members; row *i* is
        released row *i* when the release is row-aligned).
    release:
        A :class:`~privlab.utility.ReleaseView` (generalized labels and their coverage).
    quasi_identifiers, sensitive:
        What the attacker knows and what they try to learn.
    workload:
        A :class:`~privlab.utility.Workload` whose bins define "the same value"
        for raw numeric/date QIs.
    non_members:
        Real records of the same population that are not in the release (the
        control: what the attack achieves on people it knows nothing about).
    attacker:
        ``"prosecutor"`` knows each target is in the release; ``"journalist"``
        does not, and scales the advantage by ``π``.
    success:
        ``"value"``: the target's sensitive value; ``"record"``: its record
        (needs a row-aligned release).
    population_size:
        People the journalist's target is drawn from (default: members +
        non-members given).
    targets:
        Members and non-members attacked (each; fewer when fewer exist).
    seed:
        Seed of the target draw.
    confidence_level:
        Of the advantage's interval.

    Returns
    -------
    LinkageResult

    Raises
    ------
    InputError
        If *attacker* or *success* is unknown, *targets* < 1, either table of
        real records is empty, ``success="record"`` meets a release that is not
        row-aligned, or *population_size* is smaller than the release.
    ColumnNotFoundError
        If a quasi-identifier or *sensitive* is missing from a table.

    Examples
    --------
    A release that keeps each zip code's diagnosis, attacked on its members and on
    real people of the same zip codes who are not in it:

    >>> import polars as pl
    >>> from privlab.utility import ReleaseView, Workload
    >>> data = pl.DataFrame({"zip": ["1", "2", "3", "4"] * 5, "dx": ["a", "b", "c", "d"] * 5})
    >>> others = pl.DataFrame({"zip": ["1", "2", "3", "4"] * 5, "dx": ["b", "c", "d", "a"] * 5})
    >>> work = Workload.build(data, marginal_columns=["zip", "dx"])
    >>> r = linkage_attack(data, ReleaseView(data, aligned=True), ["zip"], "dx", work,
    ...                    non_members=others)
    >>> r.member_success, r.non_member_success, r.advantage
    (1.0, 0.0, 1.0)
    >>> r.attacker, r.targets
    ('prosecutor', (20, 20))
    """
    if attacker not in ("prosecutor", "journalist"):
        raise InputError(f"`attacker` must be 'prosecutor' or 'journalist', got {attacker!r}")
    if success not in ("value", "record"):
        raise InputError(f"`success` must be 'value' or 'record', got {success!r}")
    targets = check_int(targets, "targets", minimum=1)
    frame = release.frame
    for name, table in (("original", original), ("non_members", non_members), ("release", frame)):
        for col in [*quasi_identifiers, sensitive]:
            if col not in table.columns:
                raise ColumnNotFoundError(col, table.columns, source=f"the {name} table")
    if original.height == 0 or non_members.height == 0:
        raise InputError("the attack needs at least one member and one non-member record")
    aligned = bool(release.aligned) and frame.height == original.height
    if success == "record" and not aligned:
        raise InputError(
            "record success needs a row-aligned release (row i = original record i), "
            "such as a masked anonymized release; use success='value' for synthetic data"
        )
    population = population_size or original.height + non_members.height
    if population < original.height:
        raise InputError(
            f"`population_size`={population} is smaller than the {original.height} released people"
        )
    share = original.height / population if attacker == "journalist" else 1.0
    rng = np.random.default_rng(seed)
    pick_m = np.sort(rng.choice(original.height, size=min(targets, original.height), replace=False))
    pick_n = np.sort(
        rng.choice(non_members.height, size=min(targets, non_members.height), replace=False)
    )
    cols = [*quasi_identifiers, sensitive]
    tgt = pl.concat(
        [original[pick_m].select(cols), non_members[pick_n].select(cols)], how="vertical_relaxed"
    )
    n_m, n_n = len(pick_m), len(pick_n)
    if frame.height == 0:
        per_target = np.zeros(n_m + n_n)
        baseline: float | None = 0.0
        identified: float | None = 0.0 if aligned else None
    else:
        score = _scores(tgt, frame, release, quasi_identifiers, workload)
        candidates = score == score.max(axis=1, keepdims=True)
        sens_release = frame[sensitive].cast(pl.String).to_list()
        sens_vocab = {v: i for i, v in enumerate(sorted({s for s in sens_release if s}))}
        sc = _codes(sens_release, sens_vocab)
        truth = _codes(tgt[sensitive].cast(pl.String).to_list(), sens_vocab)
        m = len(sens_vocab)
        overall = np.bincount(sc[sc >= 0], minlength=m + 1).astype(float)
        top = int(overall[:m].argmax()) if m else -1
        baseline = float((truth[:n_m] == top).mean()) if success == "value" else None
        if success == "value":
            counts = np.zeros((len(tgt), m + 1))
            for code in range(m):
                counts[:, code] = (candidates & (sc == code)[None, :]).sum(axis=1)
            counts += overall[None, :] * 1e-9  # ties → the release's more common value
            guess = counts[:, :m].argmax(axis=1) if m else np.full(len(tgt), -1)
            per_target = (guess == truth).astype(np.float64)
        else:
            own = np.zeros(len(tgt), dtype=bool)
            own[:n_m] = candidates[np.arange(n_m), pick_m]
            per_target = np.where(own, 1.0 / candidates.sum(axis=1), 0.0)
        identified = None
        if aligned:
            unique = candidates[:n_m].sum(axis=1) == 1
            identified = float((candidates[np.arange(n_m), pick_m] & unique).mean())
    x_m, x_n = float(per_target[:n_m].sum()), float(per_target[n_m:].sum())
    s_m, s_n = x_m / n_m, x_n / n_n
    lo, hi = _difference_ci(x_m, n_m, x_n, n_n, confidence_level)
    return LinkageResult(
        attacker=attacker,
        success_kind=success,
        member_success=s_m,
        non_member_success=s_n,
        advantage=share * (s_m - s_n),
        ci=(share * lo, share * hi),
        membership_share=share,
        baseline=baseline,
        identified=identified,
        targets=(n_m, n_n),
        confidence_level=confidence_level,
    )
