"""Every exception privlab raises, in one tree.

Catch :class:`PrivlabError` to handle anything privlab raises on purpose. The
specific classes also derive from the matching built-in (``ValueError``,
``FileNotFoundError``, ``PermissionError`` …) so generic handlers keep working.

::

    PrivlabError
    ├── ConfigError (ValueError)               bad setting or environment variable
    ├── InputError (ValueError)                the data handed in is unusable
    │   ├── SourceNotFoundError (FileNotFoundError)
    │   ├── UnsupportedFormatError             unknown file extension / object type
    │   ├── EmptySourceError                   no header, no rows or a 0-byte file
    │   ├── MalformedRowError                  a CSV row with too many / too few fields
    │   ├── DecodeError (UnicodeError)         bytes that the encoding cannot decode
    │   ├── ColumnNotFoundError (KeyError)     a named column is not in the data
    │   └── SchemaMismatchError                columns or dtypes differ from what is expected
    ├── OutputError (OSError)                  a result could not be written
    │   └── OverwriteSourceError               refusing to overwrite the input file
    ├── StoreError                             the SQLite store under PRIVLAB_HOME
    │   ├── DatasetNotFoundError (KeyError)
    │   └── StoreSchemaError                   store written by a newer privlab
    ├── NotFittedError (ValueError, AttributeError)
    ├── RecipeError (ValueError)               invalid recipe; lists every problem at once
    ├── HierarchyError (ValueError)            invalid generalization hierarchy
    ├── MissingSecretError                     no key where a key is required (never defaulted)
    ├── PrivacyTargetError                     k / ℓ / t cannot be met within the limits
    ├── PrivacyBudgetExceededError             a DP query would exceed the budget
    ├── DPQueryError (ValueError)              a DP query is ill-formed (no bounds, ε <= 0 …)
    ├── SynthesisError                         SDV failed or was given unusable input
    ├── PolicyViolationError                   a release breaks a governance policy
    ├── AccessDeniedError (PermissionError)    the principal's role does not allow this
    ├── AuditIntegrityError                    the audit chain does not verify
    ├── DecryptionError                        wrong or missing key for an encrypted release
    ├── EngineError                            an operation cannot run on the chosen engine
    └── MemoryLimitError (MemoryError)         the work does not fit the memory limit

Messages follow one pattern: what was expected, what was received (``!r``), and
how to fix it.

Examples
--------
>>> from privlab.exceptions import ColumnNotFoundError, PrivlabError
>>> err = ColumnNotFoundError("zip", ["zipcode", "age"], source="people.csv")
>>> isinstance(err, PrivlabError) and isinstance(err, KeyError)
True
>>> print(err)
column 'zip' not found in people.csv; columns are ['zipcode', 'age'] — did you mean 'zipcode'?
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence

__all__ = [
    "AccessDeniedError",
    "AuditIntegrityError",
    "ColumnNotFoundError",
    "ConfigError",
    "DPQueryError",
    "DatasetNotFoundError",
    "DecodeError",
    "DecryptionError",
    "EmptySourceError",
    "EngineError",
    "HierarchyError",
    "InputError",
    "MalformedRowError",
    "MemoryLimitError",
    "MissingSecretError",
    "NotFittedError",
    "OutputError",
    "OverwriteSourceError",
    "PolicyViolationError",
    "PrivacyBudgetExceededError",
    "PrivacyTargetError",
    "PrivlabError",
    "RecipeError",
    "SchemaMismatchError",
    "SourceNotFoundError",
    "StoreError",
    "StoreSchemaError",
    "SynthesisError",
    "UnsupportedFormatError",
]


class PrivlabError(Exception):
    """Base class of every exception privlab raises on purpose."""


class ConfigError(PrivlabError, ValueError):
    """A configuration value or ``PRIVLAB_*`` environment variable is invalid."""


class InputError(PrivlabError, ValueError):
    """The data handed to privlab cannot be used as it is."""


class SourceNotFoundError(InputError, FileNotFoundError):
    """The input file does not exist."""


class UnsupportedFormatError(InputError):
    """The file extension or object type is not one privlab reads or writes."""


class EmptySourceError(InputError):
    """The input has no header or no rows."""


class MalformedRowError(InputError):
    """A delimited row has a different number of fields than the header.

    Attributes
    ----------
    path, line, expected, found:
        The file, its 1-based physical line number, the header's field count and
        the row's field count.
    """

    def __init__(self, message: str, *, path: str, line: int, expected: int, found: int):
        super().__init__(message)
        self.path = path
        self.line = line
        self.expected = expected
        self.found = found


class DecodeError(InputError, UnicodeError):
    """Bytes in the input cannot be decoded with the given encoding."""

    def __init__(self, message: str, *, path: str, line: int, column: int):
        super().__init__(message)
        self.path = path
        self.line = line
        self.column = column

    def __str__(self) -> str:  # UnicodeError would otherwise print its own args
        return str(self.args[0])


class ColumnNotFoundError(InputError, KeyError):
    """A named column does not exist; the message suggests the closest match."""

    def __init__(self, column: str, available: Sequence[str], *, source: str | None = None):
        self.column = column
        self.available = list(available)
        where = f" in {source}" if source else ""
        msg = f"column {column!r} not found{where}; columns are {self.available!r}"
        close = difflib.get_close_matches(column, self.available, n=1)
        if close:
            msg += f" — did you mean {close[0]!r}?"
        super().__init__(msg)

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0])


class SchemaMismatchError(InputError):
    """Columns or dtypes differ from what was expected."""


class OutputError(PrivlabError, OSError):
    """A result could not be written; nothing was left half-written."""


class OverwriteSourceError(OutputError):
    """Writing would overwrite the file the data was read from."""


class StoreError(PrivlabError):
    """The privlab store (SQLite under ``PRIVLAB_HOME``) failed or is inconsistent."""


class DatasetNotFoundError(StoreError, KeyError):
    """No dataset with this name or fingerprint is registered in the store."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class StoreSchemaError(StoreError):
    """The store was written by a newer privlab than the one running."""


class NotFittedError(PrivlabError, ValueError, AttributeError):
    """A transform or model was used before ``fit``."""


class RecipeError(PrivlabError, ValueError):
    """A recipe is invalid. ``errors`` lists every problem with its path."""

    def __init__(self, message: str, errors: Sequence[str] = ()):
        super().__init__(message)
        self.errors = list(errors)


class HierarchyError(PrivlabError, ValueError):
    """A generalization hierarchy is malformed or does not cover the data."""


class MissingSecretError(PrivlabError):
    """A key (pseudonym key, HMAC key, encryption key) is required but was not given."""


class PrivacyTargetError(PrivlabError):
    """The privacy target (k, ℓ, t) cannot be met within the suppression limit."""


class PrivacyBudgetExceededError(PrivlabError):
    """A differentially private query would exceed the dataset's budget.

    Attributes
    ----------
    spent, remaining, requested:
        Privacy loss (ε) already spent, still available, and asked for.
    """

    def __init__(self, message: str, *, spent: float, remaining: float, requested: float):
        super().__init__(message)
        self.spent = spent
        self.remaining = remaining
        self.requested = requested


class DPQueryError(PrivlabError, ValueError):
    """A differentially private query is ill-formed; nothing was spent."""


class SynthesisError(PrivlabError):
    """Synthetic data could not be generated from the given input."""


class PolicyViolationError(PrivlabError):
    """A release breaks one or more policy rules. ``violations`` lists them all."""

    def __init__(self, message: str, violations: Sequence[object] = ()):
        super().__init__(message)
        self.violations = list(violations)


class AccessDeniedError(PrivlabError, PermissionError):
    """The current principal's role does not permit the action."""


class AuditIntegrityError(PrivlabError):
    """The audit log's hash chain or signed head does not verify."""


class DecryptionError(PrivlabError):
    """An encrypted release could not be decrypted (wrong or missing key)."""


class EngineError(PrivlabError):
    """An operation cannot run on the chosen engine (streamed, Spark), or the engine is missing."""


class MemoryLimitError(PrivlabError, MemoryError):
    """The work would need more memory than the configured limit allows."""
