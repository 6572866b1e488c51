"""argon2id password hashing, with rehash of outdated hashes on login."""

from __future__ import annotations

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app


def _hasher() -> PasswordHasher:
    cfg = current_app.config
    return PasswordHasher(
        time_cost=cfg["ARGON2_TIME_COST"],
        memory_cost=cfg["ARGON2_MEMORY_COST"],
        parallelism=cfg["ARGON2_PARALLELISM"],
        type=Type.ID,
    )


def hash_password(password: str) -> str:
    """Hash with argon2id at the configured cost."""
    return _hasher().hash(password)


def verify_password(stored_hash: str, password: str) -> tuple[bool, str | None]:
    """Check a password. Returns (ok, new_hash): new_hash is set when the stored one is outdated.

    Outdated means weaker argon2 parameters, or a legacy Werkzeug (pbkdf2/scrypt) hash
    from the previous desktop system's import.
    """
    if stored_hash.startswith("$argon2"):
        hasher = _hasher()
        try:
            hasher.verify(stored_hash, password)
        except (VerificationError, InvalidHashError):
            return False, None
        return True, hasher.hash(password) if hasher.check_needs_rehash(stored_hash) else None
    from werkzeug.security import check_password_hash

    try:
        ok = check_password_hash(stored_hash, password)
    except ValueError:
        return False, None
    return ok, hash_password(password) if ok else None


# A hash to verify against when the account does not exist, so timing does not reveal it.
_DUMMY: dict[str, str] = {}


def dummy_verify(password: str) -> None:
    """Spend the same work as a real verification."""
    if "h" not in _DUMMY:
        _DUMMY["h"] = hash_password("not-a-real-password")
    verify_password(_DUMMY["h"], password)
