"""Emoji valences, for every language (social mentions carry much of their tone in them).

A small hand-picked table on VADER's -4 … +4 scale; emoji that carry no clear tone
in customer feedback (😂, 🙏, 🔥, which flip with context) are left out.
"""

from __future__ import annotations

import re

EMOJI: dict[str, float] = {
    "👍": 2.0, "👏": 2.0, "❤": 2.5, "❤️": 2.5, "💕": 2.5, "😍": 3.0, "🥰": 3.0, "😊": 2.0,
    "🙂": 1.0, "😀": 2.0, "😃": 2.0, "😄": 2.2, "😁": 2.0, "🤩": 3.0, "💯": 2.2, "⭐": 1.2,
    "🌟": 1.6, "✨": 1.0, "🎉": 1.8, "😎": 1.4, "💖": 2.5, "🥳": 2.2, "👌": 1.6,
    "👎": -2.2, "😡": -3.0, "😠": -2.6, "🤬": -3.5, "😤": -2.2, "😞": -2.0, "😢": -2.0,
    "😭": -2.2, "😩": -2.2, "😫": -2.2, "😒": -1.8, "🙄": -1.8, "💩": -2.8, "🤮": -3.0,
    "🤢": -2.6, "😖": -2.0, "😣": -1.8, "💔": -2.4, "😑": -1.0, "😕": -1.2, "🙁": -1.4,
    "☹": -1.6, "☹️": -1.6, "😓": -1.4, "🤦": -1.8,
}  # fmt: skip
_SINGLE = {key: value for key, value in EMOJI.items() if len(key) == 1}
# One character class, so finding them is a C-level scan rather than a Python loop.
_FIND = re.compile("[" + "".join(re.escape(char) for char in _SINGLE) + "]")


def emoji_valences(text: str) -> list[float]:
    """Valences of the emoji in ``text`` (one per occurrence)."""
    return [_SINGLE[char] for char in _FIND.findall(text)]


def has_emoji(text: str) -> bool:
    return _FIND.search(text) is not None
