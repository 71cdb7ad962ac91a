"""Fast calibration of OpenDP polars measurements to a target privacy loss.

Where OpenDP's fixed cost goes
------------------------------
``LazyFrameQuery.resolve()`` (called by ``release()`` *and again* by
``summarize()``) finds the noise scale with ``binary_search_chain``: an
unbounded float bisection that ends only when the two bracketing floats are
adjacent. Each of its ~1,100 steps rebuilds the measurement with
``make_private_lazyframe`` (the plan is serialized and re-analysed in Rust)
and checks it — about 1 ms each, so 1–2 s per release on these machines, and
4 s when a δ threshold must also be found. Running the plan itself costs
milliseconds on small tables.

What we do instead
------------------
The privacy map of a Laplace-noised polars plan is ``ε(s) = c / s`` in the
global scale ``s`` (each aggregate contributes sensitivity / scale). We build
the measurement once at ``s = 1``, read ``c = ε(1)`` from OpenDP's own map,
set ``s = c / ε_target`` and let OpenDP *check* the result, nudging ``s`` up
by a relative 1e-12 (then 4e-12, …) while floating-point rounding makes the
check fail. That is 2–3 constructions instead of ~1,100, and every
measurement we return has passed OpenDP's own privacy map — the privacy
guarantee never rests on our arithmetic. A δ threshold (stable-key group-bys)
is found by integer bisection over ``[0, 2**32 - 1]`` (≤ 33 constructions,
OpenDP's own search first tries an exhaustive float search for the scale).

A :class:`Calibrator` holds the one cache of a session: calibrated
measurements per (batch of queries, losses), each carrying its OpenDP
accuracy summaries per ``alpha`` — so a repeated query pays nothing, and a
batch reuses the calibrations of its single queries.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from privlab._validate import check_delta, check_epsilon
from privlab.exceptions import DPQueryError

if TYPE_CHECKING:
    from privlab.dp._plan import Planner, PlanSpec
    from privlab.dp._queries import DPQuery

__all__ = ["Calibrated", "Calibrator", "PartAccuracy", "calibrate"]

_THRESHOLD_MAX = 2**32 - 1
_THRESHOLD_MIN = 2


def _delta_fits(
    make: Callable[..., Any], scale: float, threshold: int, d_in: Any, delta: float
) -> bool:
    try:
        return _loss(make(scale, threshold), d_in)[1] <= delta
    except Exception:  # OpenDP refuses this threshold outright: treat it as too small
        return False


@dataclass
class PartAccuracy:
    """OpenDP's noise description of one aggregate (from ``summarize``)."""

    distribution: str
    scale: float  # in the part's own units (fixed-point units for sums)
    accuracy: float | None  # at alpha, own units
    accuracy_half: float | None  # at alpha / 2, own units (for means)
    threshold: int | None


@dataclass(frozen=True)
class Calibrated:
    """A measurement that OpenDP certified for ``(epsilon, delta)``.

    Attributes
    ----------
    measurement:
        The OpenDP ``Measurement`` (polars plan → ``OnceFrame``).
    scale:
        Global noise scale passed to ``make_private_lazyframe`` (``None`` when
        every aggregate carries its own scale).
    threshold:
        Minimum released group size for stable-key group-bys, else ``None``.
    epsilon, delta:
        OpenDP's privacy map at the privacy unit: the loss this measurement
        really spends (≤ the target).
    """

    measurement: Any
    scale: float | None
    threshold: int | None
    epsilon: float
    delta: float
    #: OpenDP's accuracy summaries per ``alpha`` (filled by :meth:`Calibrator.summary`).
    summaries: dict[float | None, dict[str, PartAccuracy]] = field(
        default_factory=dict, compare=False, repr=False
    )


def _loss(measurement: Any, d_in: Any) -> tuple[float, float]:
    out = measurement.map(d_in)
    if isinstance(out, tuple):
        return float(out[0]), float(out[1])
    return float(out), 0.0  # pragma: no cover - sessions always use approximate DP


def calibrate(
    make: Callable[[float | None, int | None], Any],
    d_in: Any,
    epsilon: float,
    delta: float,
    *,
    explicit_scales: bool = False,
) -> Calibrated:
    """Find the smallest-noise measurement whose loss is ≤ ``(epsilon, delta)``.

    Parameters
    ----------
    make:
        ``make(scale, threshold) -> Measurement``; ``threshold`` is ``None`` or
        an int. With ``explicit_scales=True`` the plan carries per-aggregate
        scales that ``make`` multiplies by ``scale`` (a relative factor).
    d_in:
        The privacy unit's distance (OpenDP ``d_in``).
    epsilon, delta:
        Target loss; ``epsilon > 0``.

    Returns
    -------
    Calibrated
    """
    epsilon, delta = check_epsilon(epsilon), check_delta(delta)
    # Does the plan need a threshold (a group-by whose keys are not public)?
    try:
        probe = make(1.0, None)
        needs_threshold = False
    except Exception as first:
        try:
            probe = make(1.0, _THRESHOLD_MAX)
        except Exception:
            raise first from None  # the plan is invalid, not merely unthresholded
        needs_threshold = True
    thr_probe = _THRESHOLD_MAX if needs_threshold else None

    eps1, _ = _loss(probe, d_in)
    if eps1 == 0.0:  # nothing sensitive is released (e.g. only public keys)
        return Calibrated(probe, 1.0, thr_probe, 0.0, _loss(probe, d_in)[1])
    if not math.isfinite(eps1):
        raise ValueError("OpenDP reports an unbounded privacy loss for this plan")
    scale = eps1 / epsilon
    step = 1e-12
    for _ in range(60):
        meas = make(scale, thr_probe)
        eps_s, _ = _loss(meas, d_in)
        if eps_s <= epsilon:
            break
        scale *= 1.0 + step
        step *= 4.0
    else:  # pragma: no cover - the map is monotone; 60 nudges reach a factor > 2
        raise ValueError(f"could not calibrate the noise scale to epsilon={epsilon!r}")

    threshold: int | None = None
    if needs_threshold:
        if not delta > 0:
            raise ValueError(
                "a group-by without public keys releases only groups above a noisy "
                "threshold, which needs delta > 0"
            )
        # OpenDP accepts thresholds > 1 only: search [2, 2**32 - 1] like its own search.
        lo, hi = _THRESHOLD_MIN, _THRESHOLD_MAX
        if _loss(make(scale, hi), d_in)[1] > delta:
            raise ValueError(f"no threshold reaches delta={delta!r} at this epsilon")
        while lo < hi:  # smallest threshold whose delta fits
            mid = (lo + hi) // 2
            if _delta_fits(make, scale, mid, d_in, delta):
                hi = mid
            else:
                lo = mid + 1
        threshold = lo
        meas = make(scale, threshold)
    eps_final, delta_final = _loss(meas, d_in)
    # Belt and braces: OpenDP's own check against the target.
    if not meas.check(d_in, (epsilon, delta)):  # pragma: no cover - guaranteed above
        raise ValueError("calibrated measurement failed OpenDP's privacy check")
    return Calibrated(meas, scale, threshold, eps_final, delta_final)


class Calibrator:
    """Calibrated measurements of a :class:`~privlab.dp._plan.Planner`'s plans, cached once.

    One cache, keyed by the batch's query fingerprints and privacy losses:
    a batch's own entry and the entries of the single queries it was
    calibrated from. OpenDP's accuracy summaries live on each
    :class:`Calibrated` (per ``alpha``), so they need no cache of their own.

    Parameters
    ----------
    planner:
        Builds the plans and OpenDP measurements (the session's privacy unit
        and public row bound).
    size:
        Entries kept (oldest dropped first).
    """

    def __init__(self, planner: Planner, *, size: int = 256) -> None:
        self.planner = planner
        self.size = size
        self._cache: OrderedDict[Hashable, tuple[PlanSpec, Calibrated]] = OrderedDict()

    def prepare(
        self,
        queries: Sequence[DPQuery],
        losses: Sequence[tuple[float, float]],
        *,
        cache: bool = True,
    ) -> tuple[PlanSpec, Calibrated]:
        """The plan of a batch and its measurement calibrated to ``losses`` (one per query)."""
        key = (tuple(q.fingerprint() for q in queries), tuple(losses))
        hit = self._cache.get(key)
        if hit is not None:
            self._cache.move_to_end(key)
            return hit
        spec = self.planner.spec(queries)
        out = (spec, self._calibrate_spec(spec, losses, cache=cache))
        if cache:
            self._cache[key] = out
            while len(self._cache) > self.size:
                self._cache.popitem(last=False)
        return out

    def _calibrate_plan(self, plan: Any, epsilon: float, delta: float) -> Calibrated:
        make = self.planner.make
        try:
            return calibrate(lambda s, t: make(plan, s, t), self.planner.d_in, epsilon, delta)
        except ValueError as exc:
            raise DPQueryError(f"cannot build this query with OpenDP: {exc}") from None
        except Exception as exc:  # OpenDPException: the plan is not one OpenDP can make private
            raise DPQueryError(f"OpenDP rejected the query: {str(exc).strip()}") from None

    def _calibrate_spec(
        self, spec: PlanSpec, losses: Sequence[tuple[float, float]], *, cache: bool
    ) -> Calibrated:
        planner = self.planner
        if len(spec.queries) == 1:
            return self._calibrate_plan(planner.plan(spec, None), *losses[0])
        # A batch: calibrate each query alone, then run all aggregates in one plan
        # with their own scales; OpenDP certifies the total (sum of the parts).
        scales: dict[str, float] = {}
        for i, q in enumerate(spec.queries):
            single, cal = self.prepare([q], [losses[i]], cache=cache)
            summary = self.summary(cal, None)
            for part in single.parts:
                alias = part.alias.replace("__q0_", f"__q{i}_") if part.index == 0 else part.alias
                scales[alias] = summary[part.alias].scale
        for part in spec.parts:
            scales.setdefault(part.alias, max(scales.values()))
        total_eps = math.fsum(e for e, _ in losses)
        total_delta = math.fsum(d for _, d in losses)

        def make(factor: float | None, threshold: int | None) -> Any:
            f = 1.0 if factor is None else factor
            plan = planner.plan(spec, {a: s * f for a, s in scales.items()})
            return planner.make(plan, None, threshold)

        try:
            return calibrate(make, planner.d_in, total_eps, total_delta)
        except Exception as exc:
            raise DPQueryError(f"OpenDP rejected the batch: {str(exc).strip()}") from None

    @staticmethod
    def summary(cal: Calibrated, alpha: float | None) -> dict[str, PartAccuracy]:
        """OpenDP's noise description of each aggregate (memoized on ``cal``)."""
        hit = cal.summaries.get(alpha)
        if hit is not None:
            return hit
        from opendp.accuracy import summarize_polars_measurement

        full = summarize_polars_measurement(cal.measurement, alpha)
        half = summarize_polars_measurement(cal.measurement, alpha / 2) if alpha else None
        out: dict[str, PartAccuracy] = {}
        for idx, row in enumerate(full.iter_rows(named=True)):
            out[row["column"]] = PartAccuracy(
                distribution=row["distribution"],
                scale=float(row["scale"]) if row["scale"] is not None else float("nan"),
                accuracy=row.get("accuracy"),
                accuracy_half=half["accuracy"][idx] if half is not None else None,
                threshold=row.get("threshold"),
            )
        cal.summaries[alpha] = out
        return out
