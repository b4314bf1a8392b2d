"""Encryption and keyed hashing of personal data.

Phone numbers and crisis plans are stored as Fernet ciphertext (AES-128-CBC +
HMAC-SHA256, from `cryptography`) and looked up by HMAC-SHA256 under a key
derived from the same data key, so the database never holds them in clear.
Decrypting a phone number is done in one place: `peerwork.sms.sender`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from cryptography.fernet import Fernet, InvalidToken

from peerwork.config import validate_data_key

__all__ = ["DataVault", "InvalidToken"]


class DataVault:
    """Encrypts, decrypts and hashes personal data under one 32-byte data key."""

    def __init__(self, data_key: str) -> None:
        raw = validate_data_key(data_key)
        # Separate subkeys: the hash key must not double as the cipher key.
        enc_key = hmac.new(raw, b"peerwork-encryption-v1", hashlib.sha256).digest()
        self._hash_key = hmac.new(raw, b"peerwork-lookup-hash-v1", hashlib.sha256).digest()
        self._fernet = Fernet(base64.urlsafe_b64encode(enc_key))

    def encrypt(self, value: str) -> bytes:
        return self._fernet.encrypt(value.encode("utf-8"))

    def decrypt(self, token: bytes) -> str:
        return self._fernet.decrypt(bytes(token)).decode("utf-8")

    def lookup_hash(self, value: str) -> str:
        """Keyed hash for equality lookups (hex, 64 characters)."""
        return hmac.new(self._hash_key, value.encode("utf-8"), hashlib.sha256).hexdigest()


# Pseudonyms are drawn from a space far larger than any program's texters, so a
# first contact never needs to read the ones already given: the unique
# constraint on (program, pseudonym) catches the rare repeat, and the caller
# draws again (peerwork.texter.inbound). 900,000 numbers: at 100,000 texters
# one draw in nine repeats, and a retry costs one statement.
PSEUDONYM_LOW, PSEUDONYM_HIGH = 100_000, 999_999


def new_pseudonym(rng=None) -> str:
    """A texter pseudonym such as 'Texter 482913' (not checked for uniqueness: see above)."""
    draw = (rng or secrets.SystemRandom()).randint(PSEUDONYM_LOW, PSEUDONYM_HIGH)
    return f"Texter {draw}"
