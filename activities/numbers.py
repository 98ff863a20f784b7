"""The number a scene says, what it counts, and how it is set on screen.

Spelled numbers ("seventeen hundred", "two hundred and forty three") are read by text2num,
which also reads them in the other languages it knows; the rules here are what a reel does
with one: a share ("two thirds of") or an ordinal ("the first trees") counts nothing, "five
times hotter" is a factor (set as "5×", never five icons), and a count's noun is the thing to
draw that many of ("three hearts": hearts, not the octopus the scene is about).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from text_to_num import alpha2digit

from activities.script import _STOP

FACTORS = {"times", "fold"}
# Words text2num leaves spelled that still say a share of something.
SHARES = {"half", "halves", "quarter", "quarters"}
# Where a count's noun phrase ends: "five great mass extinctions on our planet". The
# scripts' stop words, and "per" ("forty strikes per second").
_ENDS = _STOP | {"per"}
_NUMBER = re.compile(r"\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?")
_ORDINAL = re.compile(r"\d+(?:st|nd|rd|th)s?", re.IGNORECASE)
_TOKEN = re.compile(r"[A-Za-z][A-Za-z'-]*|\d+(?:[.,]\d+)*\w*|[^\sA-Za-z\d]")
NOUN_WORDS = 3  # a count's noun is among the next few words


@dataclass(frozen=True)
class Number:
    text: str  # as set on screen: "3,000", "40%", "5×"
    value: float
    noun: str = ""  # what it counts ("hearts"), lower case; "" for a factor or a share
    factor: bool = False  # "five times hotter"


@lru_cache(maxsize=4096)
def as_digits(text: str, lang: str = "en") -> str:
    """The text with its spelled numbers in digits. Isolated "one" and "two" too (threshold
    0): "two small hearts" is a count."""
    return alpha2digit(text, lang, threshold=0)


def is_number_word(word: str, lang: str = "en") -> bool:
    """Whether text2num reads the word as a number ("three", "hundred", "third")."""
    return as_digits(word, lang) != word


def first_number(text: str, lang: str = "en") -> Number | None:
    """The first number over one the scene says: a count, a factor, an amount or a share of
    a hundred; None when it says none."""
    digits = as_digits(text, lang)
    tokens = _TOKEN.findall(digits)
    for k, token in enumerate(tokens):
        if not _NUMBER.fullmatch(token) or _ORDINAL.fullmatch(token):
            continue
        after = [t.lower() for t in tokens[k + 1 : k + 1 + NOUN_WORDS]]
        percent = bool(after) and after[0] in ("%", "percent")
        if after and (_ORDINAL.fullmatch(after[0]) or after[0] in SHARES):
            continue  # "2 3rds of their neurons": a share, not two things
        value = float(token.replace(",", ""))
        if value == 1:
            continue  # "one big heart", "one spin": an article more often than a number
        shown = _shown(token, text)
        if percent:
            return Number(f"{shown}%", value)
        if after and after[0] in FACTORS:
            return Number(f"{shown}×", value, factor=True)
        return Number(shown, value, _noun(after))
    return None


def _shown(token: str, original: str) -> str:
    """Digits as the script typed them ("1850", "3,000"), else grouped by thousands."""
    if token in original or "." in token or "," in token:
        return token
    return f"{int(token):,}"


def _noun(after: list[str]) -> str:
    """The counted noun: the first plural among the next words before the phrase ends
    ("2 small hearts push" -> hearts), else the word right after the number."""
    words: list[str] = []
    for word in after:
        if word in _ENDS or not word[0].isalpha():
            break
        words.append(word)
    for word in words:
        if word.endswith("s") and not word.endswith(("ss", "us", "is")) and len(word) > 3:
            return word
    return words[0] if words else ""
