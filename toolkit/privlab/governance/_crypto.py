"""Encryption at rest: AES-256-GCM around a release file (``cryptography``).

An encrypted release is one file: the magic bytes ``PLAB-AESGCM1``, a 12-byte
random nonce, then the AES-GCM ciphertext (with its 16-byte tag) of the plain
file's bytes. The file name is bound in as associated data, so a renamed file
fails to decrypt. The 256-bit key comes from ``PRIVLAB_ENCRYPTION_KEY`` (64 hex
characters or URL-safe base64) or a key file, and is never stored anywhere by
privlab; a wrong or missing key is a :class:`~privlab.exceptions.DecryptionError`
or :class:`~privlab.exceptions.MissingSecretError`.
"""

from __future__ import annotations

import base64
import binascii
import io
import os
import secrets
from pathlib import Path
from typing import Any

import polars as pl

from privlab.exceptions import DecryptionError, MissingSecretError
from privlab.io import atomic_path

__all__ = ["generate_key", "load_key", "read_encrypted", "write_encrypted"]

MAGIC = b"PLAB-AESGCM1"
ENV = "PRIVLAB_ENCRYPTION_KEY"


def generate_key() -> str:
    """A new random 256-bit key as 64 hex characters (store it in a secret manager).

    The key comes from :func:`secrets.token_hex`; privlab keeps no copy.

    Examples
    --------
    >>> key = generate_key()
    >>> len(key), len(load_key(key)), key != generate_key()
    (64, 32, True)
    """
    return secrets.token_hex(32)


def load_key(key: str | bytes | None = None, *, key_file: str | Path | None = None) -> bytes:
    """The 32-byte key from *key*, *key_file* or ``PRIVLAB_ENCRYPTION_KEY``, in that order.

    Parameters
    ----------
    key:
        64 hex characters or URL-safe base64 of 32 bytes (text or bytes), or
        the 32 raw bytes.
    key_file:
        A file holding the key as text (surrounding whitespace ignored); read
        only when *key* is ``None``.

    Returns
    -------
    bytes
        The 256-bit key.

    Raises
    ------
    MissingSecretError
        If the key file does not exist, no key is found, or the key is not 256 bits.

    Examples
    --------
    >>> len(load_key("00" * 32))
    32
    >>> load_key("not a key")
    Traceback (most recent call last):
    ...
    privlab.exceptions.MissingSecretError: the encryption key must be 256 bits: ...
    """
    raw: str | bytes | None = key
    if raw is None and key_file is not None:
        path = Path(key_file)
        if not path.exists():
            raise MissingSecretError(f"key file {str(path)!r} does not exist")
        raw = path.read_text().strip()
    if raw is None:
        raw = os.environ.get(ENV)
    if not raw:
        raise MissingSecretError(
            f"no encryption key: pass key=..., key_file=..., or set {ENV} "
            "(create one with privlab.governance.generate_key())"
        )
    if isinstance(raw, bytes) and len(raw) == 32:
        return raw
    text = raw.decode() if isinstance(raw, bytes) else raw
    try:
        decoded = bytes.fromhex(text)
    except ValueError:
        try:
            decoded = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        except (binascii.Error, ValueError):
            decoded = b""
    if len(decoded) != 32:
        raise MissingSecretError(
            "the encryption key must be 256 bits: 64 hex characters or URL-safe base64 of 32 bytes"
        )
    return decoded


def _aesgcm(key: bytes) -> Any:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    return AESGCM(key)


def write_encrypted(
    frame: pl.DataFrame | pl.LazyFrame,
    path: str | Path,
    *,
    key: str | bytes | None = None,
    key_file: str | Path | None = None,
) -> Path:
    """Write *frame* as Parquet, encrypted, atomically (temp file + rename).

    Parameters
    ----------
    frame:
        The table (a LazyFrame is collected).
    path:
        The encrypted file; its name is bound into the ciphertext, so a renamed
        file no longer decrypts.
    key, key_file:
        The key, as for :func:`load_key` (else ``PRIVLAB_ENCRYPTION_KEY``).

    Returns
    -------
    pathlib.Path
        *path*.

    Raises
    ------
    MissingSecretError
        If no valid key is found (nothing is written).

    Examples
    --------
    >>> import tempfile, pathlib, polars as pl
    >>> key = generate_key()
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "release.parquet.enc"
    >>> write_encrypted(pl.DataFrame({"a": [1, 2]}), path, key=key).name
    'release.parquet.enc'
    >>> read_encrypted(path, key=key)["a"].to_list()
    [1, 2]
    """
    secret = load_key(key, key_file=key_file)
    target = Path(path)
    data = frame.collect() if isinstance(frame, pl.LazyFrame) else frame
    buffer = io.BytesIO()
    data.write_parquet(buffer)
    nonce = os.urandom(12)
    sealed = _aesgcm(secret).encrypt(nonce, buffer.getvalue(), target.name.encode())
    with atomic_path(target) as tmp:  # the one atomic writer (fsync, rename, cleanup)
        tmp.write_bytes(MAGIC + nonce + sealed)
    return target


def read_encrypted(
    path: str | Path, *, key: str | bytes | None = None, key_file: str | Path | None = None
) -> pl.DataFrame:
    """Decrypt and read a file written by :func:`write_encrypted`.

    Parameters
    ----------
    path:
        The encrypted file, under the name it was written with.
    key, key_file:
        The key, as for :func:`load_key` (else ``PRIVLAB_ENCRYPTION_KEY``).

    Returns
    -------
    polars.DataFrame

    Raises
    ------
    DecryptionError
        If the file is not a privlab encrypted release, or the key is wrong, or
        the file was altered or renamed.
    MissingSecretError
        If no valid key is found.

    Examples
    --------
    >>> import tempfile, pathlib, polars as pl
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "release.parquet.enc"
    >>> _ = write_encrypted(pl.DataFrame({"a": [1]}), path, key=generate_key())
    >>> read_encrypted(path, key=generate_key())
    Traceback (most recent call last):
    ...
    privlab.exceptions.DecryptionError: ... could not be decrypted: wrong key, or the file was ...
    """
    source = Path(path)
    blob = source.read_bytes()
    if not blob.startswith(MAGIC):
        raise DecryptionError(f"{source} is not a privlab encrypted release")
    secret = load_key(key, key_file=key_file)
    nonce, sealed = blob[len(MAGIC) : len(MAGIC) + 12], blob[len(MAGIC) + 12 :]
    from cryptography.exceptions import InvalidTag

    try:
        plain = _aesgcm(secret).decrypt(nonce, sealed, source.name.encode())
    except InvalidTag:
        raise DecryptionError(
            f"{source} could not be decrypted: wrong key, or the file was altered or renamed"
        ) from None
    return pl.read_parquet(io.BytesIO(plain))
