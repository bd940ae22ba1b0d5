"""The text that search as you type looks in, and how a typed query is matched against it."""

from __future__ import annotations

import unicodedata

from zjtx_desktop.pinyin import initials


def normalise(text: str) -> str:
    """Full-width to ordinary characters, lower case, spaces removed: what both sides are compared as."""
    if text.isascii():  # NFKC leaves ASCII as it is
        return "".join(text.lower().split())
    return "".join(unicodedata.normalize("NFKC", text).lower().split())


def enterprise_search_text(name: str, uscc: str, address: str | None) -> str:
    """Lower-cased name, code and address, separated so that a match cannot span two fields."""
    return "\x1f".join(normalise(part) for part in (name, uscc, address or ""))


def name_initials(name: str) -> str:
    return initials(normalise(name))


def search_columns(name: str, uscc: str, address: str | None) -> tuple[str, str]:
    """(name_initials, search_text) of an enterprise, normalising the name once."""
    name_text = normalise(name)
    return initials(name_text), "\x1f".join((name_text, normalise(uscc), normalise(address or "")))


def initials_pattern(query: str) -> str | None:
    """For a query of two or more plain letters, a LIKE pattern matching pinyin initials in order with
    gaps: `lsjm` finds 丽水宏达精密机械 (l s h d j m …). None when the query is not such a query."""
    letters = normalise(query)
    if len(letters) < 2 or not (letters.isascii() and letters.isalpha()):
        return None
    return "%" + "%".join(letters) + "%"


def like_escape(text: str) -> str:
    """Escape LIKE wildcards typed by the user (with `\\` as the ESCAPE character)."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
