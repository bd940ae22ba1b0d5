"""Pinyin initials of Chinese names, for search as you type (`lsjm` finds 丽水…精密…)."""

from __future__ import annotations

from pypinyin import Style, lazy_pinyin

# Character → its initial ("" for punctuation), filled as characters are first seen; str.translate
# then converts a whole name at C speed (an import derives 50,000 names at once).
_INITIALS: dict[int, str] = {}


def _char_initial(char: str) -> str:
    if char.isascii():
        return char.lower() if char.isalnum() else ""
    letters = lazy_pinyin(char, style=Style.FIRST_LETTER, errors="ignore")
    return letters[0].lower() if letters else ""


def initials(text: str) -> str:
    """First pinyin letter of each Chinese character; ASCII letters and digits kept, lower-cased.

    Characters are converted one by one so that the result has one letter per character, which
    keeps the initials aligned with the name (heteronyms take pypinyin's most common reading).
    """
    for char in set(text):
        if ord(char) not in _INITIALS:
            _INITIALS[ord(char)] = _char_initial(char)
    return text.translate(_INITIALS)
