"""The store's connection class: an ``sqlite3.Connection`` that knows its store.

:meth:`privlab.store.Store.transaction` hands out these connections, so the
audit primitive (:func:`privlab.store.append_audit`) needs nothing but the
connection: it finds the store's key, witness and clock here, and leaves the
head it wrote in ``pending_witness`` for the store to witness after commit.
"""

from __future__ import annotations

import sqlite3
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from privlab.store._store import Store

__all__ = ["StoreConnection"]


class StoreConnection(sqlite3.Connection):
    """A connection of one :class:`~privlab.store.Store` (set by the store when it connects)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.store: Store | None = None
        self.read_only = False
        #: ``(next seq, hash of the newest record)`` once the tail was checked in this transaction
        self.audit_tail: tuple[int, str] | None = None
        #: ``(seq, hash, mac, key_id)`` of the last record appended, witnessed after commit
        self.pending_witness: tuple[int, str, str | None, str | None] | None = None
        #: during ``privlab audit rotate-key``: the key the tail was signed with
        #: (``b""`` when it was lost and cannot be checked)
        self.rotation_from: bytes | None = None
