"""Password hashing with scrypt (memory-hard, in the standard library); the parameters travel with the hash."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass

SCHEME = "scrypt"
# One of OWASP's equally strong scrypt settings (N=2^17,r=8,p=1 ≈ N=2^16,p=2 ≈ N=2^15,p=3): the same work,
# about a third of a second per check on an office PC, but a 32 MiB block instead of 128 MiB — the sign-in
# runs inside the GUI, whose whole resident budget is 300 MB (DESIGN §7). Still memory-hard: guessing a
# stolen database's passwords needs 32 MiB per parallel guess.
DEFAULT_N = 2**15
DEFAULT_R = 8
DEFAULT_P = 3
SALT_BYTES = 16
KEY_BYTES = 32
MIN_LENGTH = 8
MAX_LENGTH = 128


@dataclass(frozen=True)
class KdfParameters:
    n: int = DEFAULT_N
    r: int = DEFAULT_R
    p: int = DEFAULT_P


# What new hashes use; tests of other features may swap in cheaper parameters (they are stored with each
# hash, so checking stays correct whatever this is).
DEFAULT_PARAMETERS = KdfParameters()


def _derive(password: str, salt: bytes, params: KdfParameters) -> bytes:
    # scrypt needs 128·r·n bytes; OpenSSL refuses more than its default 32 MiB unless maxmem says so.
    maxmem = 128 * params.r * params.n * (params.p + 1) + 1024 * 1024
    return hashlib.scrypt(
        password.encode("utf-8"), salt=salt, n=params.n, r=params.r, p=params.p, maxmem=maxmem, dklen=KEY_BYTES
    )


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def hash_password(password: str, params: KdfParameters | None = None) -> str:
    """ "scrypt$n=…,r=…,p=…$salt$key" (base64), so that the cost can be raised later without breaking logins."""
    params = params or DEFAULT_PARAMETERS
    salt = secrets.token_bytes(SALT_BYTES)
    key = _derive(password, salt, params)
    return f"{SCHEME}$n={params.n},r={params.r},p={params.p}${_b64(salt)}${_b64(key)}"


def parameters_of(stored: str) -> KdfParameters | None:
    parts = stored.split("$")
    if len(parts) != 4 or parts[0] != SCHEME:
        return None
    try:
        values = dict(item.split("=", 1) for item in parts[1].split(","))
        return KdfParameters(int(values["n"]), int(values["r"]), int(values["p"]))
    except (KeyError, ValueError):
        return None


def verify_password(password: str, stored: str | None) -> bool:
    """True if `password` matches; a missing or malformed hash never matches."""
    if not stored:
        return False
    params = parameters_of(stored)
    if params is None:
        return False
    _scheme, _params, salt_text, key_text = stored.split("$")
    try:
        salt = base64.b64decode(salt_text, validate=True)
        key = base64.b64decode(key_text, validate=True)
    except ValueError:
        return False
    return hmac.compare_digest(_derive(password, salt, params), key)


def needs_rehash(stored: str | None, params: KdfParameters | None = None) -> bool:
    return parameters_of(stored or "") != (params or DEFAULT_PARAMETERS)


def password_problem(password: str, username: str = "") -> str | None:
    """Why `password` is not acceptable (a Chinese sentence), or None."""
    if len(password) < MIN_LENGTH:
        return f"密码至少 {MIN_LENGTH} 个字符"
    if len(password) > MAX_LENGTH:
        return f"密码不能超过 {MAX_LENGTH} 个字符"
    if password.strip() != password:
        return "密码开头和结尾不能是空格"
    if len(set(password)) < 3:
        return "密码过于简单（至少包含 3 个不同的字符）"
    if username and password.casefold() == username.casefold():
        return "密码不能与用户名相同"
    if password.isdigit() and password in "012345678909876543210":
        return "密码不能是连续数字"
    return None
