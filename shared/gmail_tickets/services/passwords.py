"""Passwords of the embedded console, hashed with argon2id (argon2-cffi, RFC 9106's low-memory profile).

Why argon2id through argon2-cffi: memory-hard, so a stolen SQLite file is slow to attack on GPUs, and a library
that stays current with the reference implementation. The hash string carries its own parameters, so raising them
later re-hashes each password at its owner's next sign-in (`needs_rehash`), with no migration.
"""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from gmail_tickets.domain.said import said
from gmail_tickets.errors import ActionRefused

MIN_CHARS = 10
MAX_CHARS = 256  # argon2 takes any length; the bound keeps one sign-in from costing a long hash of megabytes

_hasher = PasswordHasher()
_DUMMY = _hasher.hash("not anyone's password")  # checked against for unknown accounts: the same time either way


def checked(password: str) -> str:
    """The password if it may be set; ActionRefused (with the reason, for the person typing it) otherwise."""
    if len(password) < MIN_CHARS:
        raise ActionRefused(said("Choose a password of at least %(least)s characters.", least=MIN_CHARS))
    if len(password) > MAX_CHARS:
        raise ActionRefused(said("A password may have at most %(most)s characters.", most=MAX_CHARS))
    return password


def hash_password(password: str) -> str:
    return _hasher.hash(checked(password))


def verify(password_hash: str | None, password: str) -> bool:
    """Whether `password` matches; an account without a password (or none at all) costs the same time."""
    if len(password) > MAX_CHARS:
        return False
    try:
        return _hasher.verify(password_hash or _DUMMY, password) and password_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)
