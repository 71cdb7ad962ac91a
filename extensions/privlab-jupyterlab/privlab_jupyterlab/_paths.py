"""Confine a path from the browser to the server's root folder.

The file browser names files relative to the server's ``root_dir``. A request
may not leave it: no absolute paths, no ``..``, and no symlink that resolves
outside it. Hidden files are refused unless the contents manager allows them.
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath

from privlab_jupyterlab._errors import Forbidden, Invalid, NotFound

__all__ = ["PROFILE_SUFFIXES", "confine"]

#: Files the "Profile with privlab" action accepts.
PROFILE_SUFFIXES = (".csv", ".parquet")


def confine(root: Path, relative: str, *, allow_hidden: bool = False) -> Path:
    """Resolve *relative* under *root*; refuse anything that escapes it.

    Returns the resolved path of an existing regular file inside *root*.
    """
    text = relative.strip()
    pure = PurePosixPath(text)
    if not text or pure.is_absolute() or "\\" in text:
        raise Invalid(
            f"path must be relative to the server's root folder (as the file browser shows it),"
            f" got {relative!r}"
        )
    if ".." in pure.parts:
        raise Forbidden(f"path {relative!r} contains '..': it may not leave the server's root")
    if not allow_hidden and any(part.startswith(".") for part in pure.parts):
        raise Forbidden(
            f"path {relative!r} names a hidden file or folder, which this server does not show"
        )
    base = root.resolve(strict=True)
    try:
        resolved = (base / pure).resolve(strict=True)
    except FileNotFoundError:
        raise NotFound(f"no file {relative!r} in the server's root folder") from None
    if not resolved.is_relative_to(base):
        raise Forbidden(
            f"{relative!r} is a symlink that leads outside the server's root folder; "
            "copy the file into it instead"
        )
    if not resolved.is_file():
        raise Invalid(f"{relative!r} is not a file")
    return resolved
