"""统一社会信用代码 (GB 32100-2015): normalise pasted codes, validate with Chinese messages, build."""

from __future__ import annotations

import operator
import re
import unicodedata
from typing import NamedTuple

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
"""The 31 characters a code may contain, in value order (0–30); I, O, Z, S and V are not used."""

LENGTH = 18

_VALUE = {c: i for i, c in enumerate(ALPHABET)}
_WELL_FORMED = re.compile(r"[1-9A-HJ-NP-RTUWXY][0-9A-HJ-NP-RTUWXY]\d{6}[0-9A-HJ-NP-RTUWXY]{10}")
_DIGITS = frozenset("0123456789")
_UNUSED_LETTERS = "IOZSV"
# Weight of position i (1-based) is 3^(i-1) mod 31; position 18 (the check character) has weight 1.
_WEIGHTS = tuple(pow(3, i, 31) for i in range(LENGTH - 1))
# GB 11714 organization code check: weights for its first 8 characters.
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
_ORG_CHARS = frozenset("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ")
_ORG_VALUE = {c: int(c, 36) for c in _ORG_CHARS}
# Hyphen-like separators people type or paste between the parts of a code.
_DASHES = frozenset("-\u2010\u2011\u2012\u2013\u2014\u2015\u2212")
# a–z to upper case in one pass, with both o and O going straight to the digit 0.
_ASCII_UPPER = str.maketrans("abcdefghijklmnopqrstuvwxyzO", "ABCDEFGHIJKLMN0PQRSTUVWXYZ0")


class UsccCheck(NamedTuple):
    """Result of check(): ok, the normalised code, a Chinese message ("" when ok), and the expected
    check character when the problem is a wrong check character (position 17 or 18), else None."""

    ok: bool
    code: str
    message: str
    expected_check: str | None


def normalize(raw: str) -> str:
    """Tidy up a code as typed or pasted; does not validate.

    Full-width and other compatibility forms become ordinary characters (NFKC); all whitespace
    (including the ideographic space), invisible format characters (zero-width space, BOM, direction
    marks, soft hyphen) and hyphens/dashes are removed; a–z become upper case; the letter O, which a
    code never contains, becomes the digit 0. Other look-alikes (I, Z, S, V) are left for check() to
    reject, because what was meant is not certain.
    """
    text = unicodedata.normalize("NFKC", raw)
    text = "".join(c for c in text if not (c.isspace() or c in _DASHES or unicodedata.category(c) == "Cf"))
    text = text.translate(_ASCII_UPPER)
    # Removing characters can bring a base letter next to a combining mark; compose again so that
    # normalize() is idempotent.
    return unicodedata.normalize("NFKC", text)


def _describe_char(c: str) -> str:
    if c.isascii() and c.isprintable():
        return f"“{c}”"
    return f"“{c}”（U+{ord(c):04X}）"


def _invalid_char_message(position: int, c: str) -> str:
    if c in _UNUSED_LETTERS:
        reason = "代码中不使用I、O、Z、S、V"
    else:
        reason = "只能是数字0\u20139和除I、O、Z、S、V以外的大写字母"
    return f"第{position}位{_describe_char(c)}不是有效字符（{reason}）"


def _first_invalid_char(code: str) -> tuple[int, str] | None:
    for index, c in enumerate(code):
        if c not in _VALUE:
            return index + 1, c
    return None


def org_code_check(first8: str) -> str:
    """GB 11714 organization-code check character for 8 characters (0–9, A–Z as 10–35)."""
    if len(first8) != 8:
        raise ValueError(f"组织机构代码本体应为8位，现为{len(first8)}位")
    for index, c in enumerate(first8):
        if c not in _ORG_CHARS:
            raise ValueError(f"组织机构代码第{index + 1}位{_describe_char(c)}不是数字或大写字母")
    total = sum(int(c, 36) * w for c, w in zip(first8, _ORG_WEIGHTS, strict=True))
    value = 11 - total % 11
    if value == 10:
        return "X"
    if value == 11:
        return "0"
    return str(value)


def check_character(first17: str) -> str:
    """The 18th (check) character for the first 17 characters of a code (must be from ALPHABET)."""
    if len(first17) != LENGTH - 1:
        raise ValueError(f"统一社会信用代码前17位应为17位，现为{len(first17)}位")
    bad = _first_invalid_char(first17)
    if bad is not None:
        raise ValueError(_invalid_char_message(*bad))
    total = sum(_VALUE[c] * w for c, w in zip(first17, _WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def _fast_checks_pass(code: str) -> bool:
    """Both check characters of a well-formed code, without building messages."""
    org_total = sum(map(operator.mul, map(_ORG_VALUE.__getitem__, code[8:16]), _ORG_WEIGHTS))
    org_value = 11 - org_total % 11
    if code[16] != ("X" if org_value == 10 else "0" if org_value == 11 else str(org_value)):
        return False
    total = sum(map(operator.mul, map(_VALUE.__getitem__, code[:17]), _WEIGHTS))
    return code[17] == ALPHABET[(31 - total % 31) % 31]


def _fail(code: str, message: str, expected: str | None = None) -> UsccCheck:
    return UsccCheck(ok=False, code=code, message=message, expected_check=expected)


def check(raw: str) -> UsccCheck:
    """Normalise and validate a code; the message explains the first problem found, in Chinese.

    Order: empty, length, characters, registration authority (1st), area code (3rd–8th),
    organization-code check (17th), check character (18th). Positions count in the normalised code.
    """
    # Most codes arrive tidy and valid: confirm those with C-level arithmetic only (an import checks
    # 50,000 codes at a time); anything else takes the explaining path below.
    if _WELL_FORMED.fullmatch(raw) and _fast_checks_pass(raw):
        return UsccCheck(ok=True, code=raw, message="", expected_check=None)
    code = normalize(raw)
    if not code:
        return _fail(code, "统一社会信用代码为空")
    if len(code) != LENGTH:
        return _fail(code, f"统一社会信用代码应为{LENGTH}位，现为{len(code)}位")
    bad = _first_invalid_char(code)
    if bad is not None:
        return _fail(code, _invalid_char_message(*bad))
    if code[0] == "0":
        return _fail(code, "第1位登记管理部门代码不能为0")
    if not all(c in _DIGITS for c in code[2:8]):
        return _fail(code, "第3\u20138位登记管理机关行政区划码应为6位数字")
    org_expected = org_code_check(code[8:16])
    if code[16] != org_expected:
        return _fail(code, f"组织机构代码校验位（第17位）应为 {org_expected}，现为 {code[16]}", org_expected)
    expected = check_character(code[:17])
    if code[17] != expected:
        return _fail(code, f"校验位（第18位）应为 {expected}，现为 {code[17]}", expected)
    return UsccCheck(ok=True, code=code, message="", expected_check=None)


def is_valid(raw: str) -> bool:
    """Whether raw, once normalised, is a valid code."""
    return check(raw).ok


def make(authority: str, kind: str, area: str, org8: str) -> str:
    """Build a complete valid code from its pieces, computing both check characters.

    authority: 1 character from ALPHABET other than 0 (9 = market regulation); kind: 1 character
    from ALPHABET; area: 6 digits; org8: the first 8 characters of the organization code, from
    ALPHABET.
    Raises ValueError (Chinese message) for a piece that does not fit.
    """
    if len(authority) != 1 or authority not in _VALUE or authority == "0":
        raise ValueError(f"登记管理部门代码应为1位非0的有效字符，现为“{authority}”")
    if len(kind) != 1 or kind not in _VALUE:
        raise ValueError(f"机构类别代码应为1位有效字符，现为“{kind}”")
    if len(area) != 6 or not all(c in _DIGITS for c in area):
        raise ValueError(f"行政区划码应为6位数字，现为“{area}”")
    if len(org8) != 8 or not all(c in _VALUE for c in org8):
        raise ValueError(f"组织机构代码本体应为8位有效字符，现为“{org8}”")
    body = authority + kind + area + org8 + org_code_check(org8)
    return body + check_character(body)


def area_code(code: str) -> str:
    """The 6-digit area code (characters 3–8) of a code, normalised first; check characters are not
    verified. Raises ValueError if the code is not 18 characters or those 6 are not digits."""
    normalised = normalize(code)
    area = normalised[2:8]
    if len(normalised) != LENGTH or not all(c in _DIGITS for c in area):
        raise ValueError(f"无法从“{code}”取得行政区划码")
    return area
