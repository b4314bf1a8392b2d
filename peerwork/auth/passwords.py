"""Password hashing and rules.

Argon2id with 46 MiB of memory, 1 iteration and 1 lane: the first of the
equivalent settings OWASP's Password Storage Cheat Sheet recommends (ASVS 5.0
asks for at least its floor). Werkzeug's default scrypt cost is below that
floor, so we do not use it. Hashes made with weaker parameters are upgraded
at the next successful login.
"""

from __future__ import annotations

from importlib import resources

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

MIN_LENGTH = 12
MAX_LENGTH = 128

HASHER = PasswordHasher(time_cost=1, memory_cost=47104, parallelism=1, hash_len=32, salt_len=16)


class WeakPassword(ValueError):
    """A password that breaks a rule; the message says which."""


def _blocklist() -> frozenset[str]:
    text = resources.files("peerwork.data").joinpath("common-passwords.txt").read_text()
    return frozenset(
        line.strip().lower()
        for line in text.splitlines()
        if line.strip() and not line.startswith("#")
    )


_BLOCKLIST: frozenset[str] | None = None


def check_strength(password: str, *, email: str = "", name: str = "") -> None:
    """Raise WeakPassword if `password` is too short, too long or too common."""
    global _BLOCKLIST
    if _BLOCKLIST is None:
        _BLOCKLIST = _blocklist()
    if len(password) < MIN_LENGTH:
        raise WeakPassword(
            f"Use at least {MIN_LENGTH} characters. A few unrelated words work well."
        )
    if len(password) > MAX_LENGTH:
        raise WeakPassword(f"Use at most {MAX_LENGTH} characters.")
    lowered = password.lower()
    if lowered in _BLOCKLIST or lowered.rstrip("0123456789!") in _BLOCKLIST:
        raise WeakPassword(
            "That password is one of the most common ones. Choose something less guessable."
        )
    if len(set(lowered)) < 4:
        raise WeakPassword(
            "That password repeats too few characters. Choose something less guessable."
        )
    local = email.split("@")[0].lower()
    if (local and len(local) >= 4 and local in lowered) or (
        name and name.lower().replace(" ", "") == lowered
    ):
        raise WeakPassword("Do not use your name or email address in your password.")


def hash_password(password: str) -> str:
    return HASHER.hash(password)


def verify_password(stored_hash: str, password: str) -> bool:
    try:
        return HASHER.verify(stored_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    try:
        return HASHER.check_needs_rehash(stored_hash)
    except InvalidHashError:
        return True


# A hash to verify against when the account does not exist, so that timing
# does not reveal which email addresses have accounts.
DUMMY_HASH = HASHER.hash("peerwork-timing-equalizer")
