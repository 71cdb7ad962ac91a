"""The release pipeline every producer hands its output to: :class:`ReleaseFacts` and the gate.

Producers — :func:`privlab.anonymize` (``Release.write``), :mod:`privlab.dp`,
:mod:`privlab.synth` (``Synthetic.save``) and the report — describe a release
as :class:`ReleaseFacts` and call :func:`submit` with a ``write`` callback.
They never import :mod:`privlab.governance`: the gate is resolved here, either
passed explicitly (``governance=``) or built by the factory that
:mod:`privlab` registers at import (:func:`register_default_gate`), for the
producer's own store (``store=``).

The gate runs the stages in this order (``../shared/CONTRACTS.md``):

1. **authorize** — the principal's role allows the release;
2. **inspect** — the released data (or, for DP, the query) is checked for
   identifiers;
3. **evaluate the policy** on the facts;
4. **reserve ε** (DP: done inside the producer's ``write``, which the gate
   calls only after stages 1–3 passed);
5. **write** — ``write(approval)`` writes temp files and renames them;
6. **catalog and audit** in one store transaction.

Any failure writes nothing under a final name and is audited.

Examples
--------
>>> from privlab.release import ColumnFacts, ReleaseFacts
>>> facts = ReleaseFacts(kind="anonymized", dataset="visits", rows=10,
...                      columns=(ColumnFacts("age", source="age", ops=("generalize",)),))
>>> facts.to_dict()["columns"]
{'age': {'source': 'age', 'ops': ['generalize'], 'role': None}}
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol

from privlab._config import get_config
from privlab.exceptions import ConfigError
from privlab.store import FILENAME, open_store

if TYPE_CHECKING:
    from privlab.store import Store

__all__ = [
    "DEFAULT_ALLOWED",
    "KINDS",
    "Approval",
    "ColumnFacts",
    "Gate",
    "GateFactory",
    "Kind",
    "ReleaseFacts",
    "authorize",
    "default_gate",
    "register_default_gate",
    "submit",
]

Kind = Literal["anonymized", "dp", "synthetic"]
KINDS: tuple[str, ...] = ("anonymized", "dp", "synthetic")
#: Roles that may load a release unless the producer says otherwise.
DEFAULT_ALLOWED: tuple[str, ...] = ("owner", "steward", "analyst")


@dataclass(frozen=True)
class ColumnFacts:
    """One released column: where it came from and what was done to it.

    ``role`` is set when the producer knows it (``"generated"`` for synthetic
    columns drawn fresh); otherwise the gate derives it from the source
    column's profiled role and ``ops`` (a pseudonymized direct identifier is
    ``"pseudonymized"``, a masked one ``"masked"``).
    """

    name: str
    source: str | None = None
    ops: tuple[str, ...] = ()
    role: str | None = None


@dataclass(frozen=True)
class ReleaseFacts:
    """What a producer tells the gate about one release (no raw values, no secrets).

    Attributes
    ----------
    kind:
        ``"anonymized"``, ``"dp"`` or ``"synthetic"``.
    dataset:
        Catalog name of the source; ``None`` lets the gate find the dataset the
        store knows with the source's content, or register one named
        ``<name_hint>-<content hash>``.
    rows:
        Released rows (``None`` for DP answers).
    columns:
        The released columns, or ``None`` when the release has no columns (DP).
    privacy:
        Figures measured on the release: ``risk`` ({k, l, t}), ``attack_risk``,
        ``pii_replay``, ``epsilon``, ``delta``, ``queries``, ``by``.
    manifest:
        The release's manifest (stored in the catalog with the facts).
    recipe_id:
        Recipe or query fingerprint, if any.
    source:
        The source table (polars), for the schema check, naming and inspection.
    released:
        The released table(s), for inspection.
    inputs, outputs:
        Files the producer read and will write.
    queries:
        DP queries, for inspection of group-by columns.
    query_sample:
        A seeded sample of the columns the DP queries group by (never spent on,
        never released), so the guard classifies them from their values.
    keep:
        Columns kept on purpose despite the guard: ``{column: reason}``.
    name_hint:
        Prefix of an automatic dataset name.
    retention_days, allowed_roles, override:
        Expiry, who may load the release, and an owner's policy override.
    """

    kind: Kind
    dataset: str | None
    rows: int | None = None
    columns: tuple[ColumnFacts, ...] | None = None
    privacy: Mapping[str, Any] = field(default_factory=dict)
    manifest: Mapping[str, Any] = field(default_factory=dict)
    recipe_id: str | None = None
    source: Any = field(default=None, repr=False)
    released: Any = field(default=None, repr=False)
    inputs: tuple[Path, ...] = ()
    outputs: tuple[Path, ...] = ()
    queries: tuple[Any, ...] = field(default=(), repr=False)
    query_sample: Any = field(default=None, repr=False)
    keep: Mapping[str, str] = field(default_factory=dict)
    name_hint: str = "source"
    retention_days: int | None = None
    allowed_roles: tuple[str, ...] = DEFAULT_ALLOWED
    override: bool = False

    def to_dict(self) -> dict[str, Any]:
        """The JSON-ready facts recorded in the catalog (no data, no frames)."""
        out: dict[str, Any] = {"kind": self.kind, "rows": self.rows, **dict(self.privacy)}
        if self.columns is not None:
            out["columns"] = {
                c.name: {"source": c.source, "ops": list(c.ops), "role": c.role}
                for c in self.columns
            }
        if self.keep:
            out["keep"] = dict(self.keep)
        return out


@dataclass(frozen=True)
class Approval:
    """What the gate hands to ``write`` once the release may be written."""

    dataset: str
    release_id: str


class Gate(Protocol):
    """Anything that can gate a release: :class:`privlab.governance.Governance` is one."""

    def submit(self, facts: ReleaseFacts, write: Callable[[Approval], Sequence[Path]]) -> Any:
        """Run the pipeline; call ``write`` only when every check passed."""
        ...

    def authorize(self, action: str, *, dataset: str | None = None) -> None:
        """Refuse *action* on *dataset* unless the acting principal may do it.

        Raises :class:`~privlab.exceptions.AccessDeniedError` (audited) for an
        action (``"spend"``, ``"set_budget"``, …) the principal's role forbids.
        """
        ...


#: Builds the default gate for a store (``None``: the configured store).
GateFactory = Callable[["Store | None"], Gate]

_factory: list[GateFactory] = []


def register_default_gate(factory: GateFactory) -> None:
    """Make *factory* build the gate producers use when none is passed.

    :mod:`privlab` registers :class:`privlab.governance.Governance` when it is
    imported; call this to substitute your own (tests, another catalog).

    Examples
    --------
    >>> from privlab import release
    >>> class Recorder:
    ...     def submit(self, facts, write):
    ...         return write(Approval(dataset=facts.dataset, release_id="r1"))
    ...     def authorize(self, action, *, dataset=None):
    ...         pass
    >>> saved = list(release._factory)
    >>> register_default_gate(lambda store: Recorder())
    >>> type(default_gate()).__name__
    'Recorder'
    >>> release._factory[:] = saved  # privlab's governance again
    """
    _factory[:] = [factory]


def default_gate(store: Store | None = None) -> Gate:
    """The registered default gate, over *store* (default: the configured store).

    Examples
    --------
    >>> import privlab  # registers privlab.governance.Governance
    >>> type(default_gate()).__name__
    'Governance'
    """
    if not _factory:
        raise ConfigError(
            "no release gate is registered: import privlab (which registers its "
            "governance) or pass governance= explicitly"
        )
    return _factory[0](store)


def submit(
    facts: ReleaseFacts,
    write: Callable[[Approval], Sequence[Path]],
    *,
    governance: Gate | None = None,
    store: Store | None = None,
) -> Any:
    """Hand one release to the gate: *governance*, or the default gate over *store*.

    Examples
    --------
    A gate that approves everything and records the facts (a real gate runs the
    stages of the module docstring before calling ``write``):

    >>> seen = []
    >>> class Approve:
    ...     def submit(self, facts, write):
    ...         seen.append(facts.kind)
    ...         return write(Approval(dataset=facts.dataset, release_id="r1"))
    ...     def authorize(self, action, *, dataset=None):
    ...         pass
    >>> submit(ReleaseFacts(kind="dp", dataset="visits"), lambda a: [], governance=Approve())
    []
    >>> seen
    ['dp']
    """
    gate = governance if governance is not None else default_gate(store)
    return gate.submit(facts, write)


def authorize(action: str, *, dataset: str | None = None, governance: Gate | None = None) -> None:
    """Stage 1 alone, for work that publishes without a cataloged release (reports, profiles).

    *governance* decides when given. Otherwise the default gate over the
    configured store does, if that store exists: without a store there is no
    policy and no role (personal mode), so nothing is checked — and no store
    is created just to say so.

    Raises
    ------
    AccessDeniedError
        The principal's role does not allow *action* (the denial is audited).

    Examples
    --------
    >>> class Deny:
    ...     def authorize(self, action, *, dataset=None):
    ...         raise PermissionError(f"{action} needs an analyst")
    ...     def submit(self, facts, write):
    ...         raise AssertionError("not a release")
    >>> authorize("release", governance=Deny())
    Traceback (most recent call last):
    ...
    PermissionError: release needs an analyst
    """
    if governance is not None:
        governance.authorize(action, dataset=dataset)
    elif (Path(get_config()["home"]) / FILENAME).exists():
        default_gate(open_store()).authorize(action, dataset=dataset)
