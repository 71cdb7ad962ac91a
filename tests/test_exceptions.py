"""privlab.exceptions: one tree, built-in bases, helpful messages."""

from __future__ import annotations

import inspect

import privlab.exceptions as exc_mod
from privlab.exceptions import (
    ColumnNotFoundError,
    NotFittedError,
    PrivacyBudgetExceededError,
    PrivlabError,
    SourceNotFoundError,
)


def test_every_exception_derives_from_privlab_error() -> None:
    classes = [
        obj
        for name, obj in vars(exc_mod).items()
        if inspect.isclass(obj)
        and issubclass(obj, BaseException)
        and obj.__module__ == exc_mod.__name__
    ]
    assert classes
    for cls in classes:
        assert issubclass(cls, PrivlabError), cls
    assert sorted(c.__name__ for c in classes) == exc_mod.__all__


def test_every_exception_is_drawn_in_the_docstring() -> None:
    doc = exc_mod.__doc__ or ""
    for name in exc_mod.__all__:
        assert name in doc, name


def test_builtin_bases_keep_generic_handlers_working() -> None:
    assert issubclass(SourceNotFoundError, FileNotFoundError)
    assert issubclass(NotFittedError, ValueError)
    assert issubclass(NotFittedError, AttributeError)
    assert issubclass(ColumnNotFoundError, KeyError)


def test_column_not_found_suggests_the_closest_name() -> None:
    err = ColumnNotFoundError("agee", ["age", "zip"], source="t.csv")
    assert (
        str(err)
        == "column 'agee' not found in t.csv; columns are ['age', 'zip'] — did you mean 'age'?"
    )


def test_budget_error_carries_figures() -> None:
    err = PrivacyBudgetExceededError("no", spent=0.9, remaining=0.1, requested=0.5)
    assert (err.spent, err.remaining, err.requested) == (0.9, 0.1, 0.5)
