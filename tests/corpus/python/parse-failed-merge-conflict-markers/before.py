"""Password hashing and policy checks."""

import hashlib
import hmac
import os
import re

ITERATIONS = 390_000
MIN_LENGTH = 12


class WeakPassword(ValueError):
    pass


def check_policy(candidate: str, email: str) -> None:
    if len(candidate) < MIN_LENGTH:
        raise WeakPassword(f"password must have at least {MIN_LENGTH} characters")
    if not re.search(r"[A-Za-z]", candidate) or not re.search(r"[0-9]", candidate):
        raise WeakPassword("password must mix letters and digits")
    if email.split("@", 1)[0].lower() in candidate.lower():
        raise WeakPassword("password must not contain the e-mail name")


def hash_password(candidate: str, salt: bytes | None = None) -> str:
    salt = salt or os.urandom(16)
    digest = hashlib.pbkdf2_hmac("sha256", candidate.encode(), salt, ITERATIONS)
    return f"pbkdf2_sha256${ITERATIONS}${salt.hex()}${digest.hex()}"


def verify_password(candidate: str, encoded: str) -> bool:
    algorithm, iterations, salt_hex, digest_hex = encoded.split("$")
    if algorithm != "pbkdf2_sha256":
        return False
    digest = hashlib.pbkdf2_hmac("sha256", candidate.encode(), bytes.fromhex(salt_hex), int(iterations))
    return hmac.compare_digest(digest.hex(), digest_hex)
