"""Field encryption (AES-GCM) and keyed look-up hashes for sensitive personal data.

ID numbers and bank accounts are sensitive personal information under the PIPL: they are stored
encrypted, with an HMAC beside them so that duplicates can be found without decrypting.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from typing import Any

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from flask import current_app
from sqlalchemy import String
from sqlalchemy.types import TypeDecorator


def _master_key() -> bytes:
    raw = current_app.config["FIELD_ENCRYPTION_KEY"]
    key = bytes.fromhex(raw) if len(raw) == 64 else hashlib.sha256(raw.encode()).digest()
    return key


def _subkey(purpose: bytes) -> bytes:
    return hmac.new(_master_key(), purpose, hashlib.sha256).digest()


def encrypt(plain: str) -> str:
    nonce = os.urandom(12)
    sealed = AESGCM(_subkey(b"field-encryption")).encrypt(nonce, plain.encode(), None)
    return "v1:" + base64.urlsafe_b64encode(nonce + sealed).decode()


def decrypt(token: str) -> str:
    if not token.startswith("v1:"):
        raise ValueError("unknown ciphertext version")
    blob = base64.urlsafe_b64decode(token[3:])
    return AESGCM(_subkey(b"field-encryption")).decrypt(blob[:12], blob[12:], None).decode()


def lookup_hash(value: str) -> str:
    """Deterministic keyed hash for equality search (normalised: no spaces, upper case)."""
    norm = "".join(value.split()).upper()
    return hmac.new(_subkey(b"lookup"), norm.encode(), hashlib.sha256).hexdigest()


class EncryptedString(TypeDecorator[str]):
    """A string column stored as AES-GCM ciphertext."""

    impl = String(255)
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Any) -> str | None:
        return None if value is None else encrypt(value)

    def process_result_value(self, value: str | None, dialect: Any) -> str | None:
        return None if value is None else decrypt(value)


def mask_id_number(value: str | None) -> str:
    """4307**********1234: the region prefix and the last four only."""
    if not value:
        return ""
    return value[:4] + "*" * (len(value) - 8) + value[-4:] if len(value) > 8 else "*" * len(value)


def mask_account(value: str | None) -> str:
    """6222 **** **** 1234."""
    if not value:
        return ""
    digits = "".join(value.split())
    return f"{digits[:4]} **** **** {digits[-4:]}" if len(digits) > 8 else "****"


def mask_name(value: str | None) -> str:
    """张*明 / 李* : keep the first and (for three or more characters) the last character."""
    if not value:
        return ""
    if len(value) == 1:
        return value
    if len(value) == 2:
        return value[0] + "*"
    return value[0] + "*" * (len(value) - 2) + value[-1]


def mask_mobile(value: str | None) -> str:
    if not value:
        return ""
    return value[:3] + "****" + value[-4:] if len(value) == 11 else "****"
