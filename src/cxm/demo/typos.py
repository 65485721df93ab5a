"""The ways the same customer ends up written differently in different systems.

Every function takes the generator explicitly so corruption is reproducible. They
model real causes: keyboard slips, Chinese IME homophones, umlauts folded by old
systems, nicknames given at a shop counter, spreadsheets that drop leading zeros,
and every local way of writing a date or a phone number.
"""

from __future__ import annotations

import numpy as np

from cxm.demo.people import Phone
from cxm.demo.places import STREET_ABBREVIATIONS

_KEYBOARD_ROWS = ("qwertzuiop", "asdfghjkl", "yxcvbnm")
# Characters a pinyin IME offers for the same syllable.
HOMOPHONES = {
    "伟": "玮",
    "丽": "莉",
    "静": "晶",
    "敏": "民",
    "明": "铭",
    "娜": "纳",
    "芳": "方",
    "军": "君",
    "杰": "洁",
    "涛": "韬",
    "磊": "蕾",
    "强": "蔷",
    "艳": "燕",
    "霞": "侠",
    "平": "萍",
    "刚": "钢",
    "超": "朝",
    "洋": "阳",
    "勇": "永",
    "英": "瑛",
}
_UMLAUT_TO_DIGRAPH = str.maketrans(
    {"ä": "ae", "ö": "oe", "ü": "ue", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue", "ß": "ss"}
)
_UMLAUT_DROPPED = str.maketrans(
    {"ä": "a", "ö": "o", "ü": "u", "Ä": "A", "Ö": "O", "Ü": "U", "ß": "ss", "ı": "i"}
)


def _neighbour(char: str, rng: np.random.Generator) -> str:
    lower = char.lower()
    for row in _KEYBOARD_ROWS:
        at = row.find(lower)
        if at >= 0:
            options = [row[i] for i in (at - 1, at + 1) if 0 <= i < len(row)]
            picked = options[int(rng.integers(len(options)))]
            return picked.upper() if char.isupper() else picked
    return char


def typo(text: str, rng: np.random.Generator) -> str:
    """One slip: a homophone (Han), or a swapped, dropped, doubled or mistyped letter."""
    if not text:
        return text
    if any("\u4e00" <= c <= "\u9fff" for c in text):
        swappable = [i for i, c in enumerate(text) if c in HOMOPHONES]
        if not swappable:
            return text
        at = swappable[int(rng.integers(len(swappable)))]
        return text[:at] + HOMOPHONES[text[at]] + text[at + 1 :]
    if len(text) < 3:
        return text
    at = int(rng.integers(1, len(text) - 1))  # first letters are typed most carefully
    kind = int(rng.integers(4))
    if kind == 0:
        return text[:at] + text[at + 1] + text[at] + text[at + 2 :]
    if kind == 1:
        return text[:at] + text[at + 1 :]
    if kind == 2:
        return text[:at] + text[at] + text[at:]
    return text[:at] + _neighbour(text[at], rng) + text[at + 1 :]


def fold_umlauts(text: str, rng: np.random.Generator) -> str:
    table = _UMLAUT_TO_DIGRAPH if rng.random() < 0.7 else _UMLAUT_DROPPED
    return text.translate(table)


def abbreviate_street(text: str) -> str:
    for long, short in STREET_ABBREVIATIONS:
        if long in text:
            return text.replace(long, short, 1)
    return text


def format_date(iso: str, style: str) -> str:
    """Write an ISO date the way a country's forms do."""
    year, month, day = iso.split("-")
    return {
        "iso": iso,
        "de": f"{day}.{month}.{year}",
        "gb": f"{day}/{month}/{year}",
        "us": f"{int(month)}/{int(day)}/{year}",
        "cn": f"{year}年{int(month)}月{int(day)}日",
        "slash": f"{year}/{month}/{day}",
        "compact": f"{year}{month}{day}",
    }[style]


def _group(digits: str, sizes: tuple[int, ...]) -> str:
    parts, at = [], 0
    for size in sizes:
        if at >= len(digits):
            break
        parts.append(digits[at : at + size])
        at += size
    if at < len(digits):
        parts[-1] += digits[at:]
    return " ".join(parts)


def format_phone(phone: Phone, rng: np.random.Generator, international: float) -> str:
    """A phone in one of the formats people and systems actually use in its country."""
    cc, prefix, sub = phone.country_code, phone.prefix, phone.subscriber
    styles: tuple[str, ...]
    national: tuple[str, ...]
    if cc == "86":
        styles = (
            f"+86 {prefix} {sub[:4]} {sub[4:]}",
            f"+86{prefix}{sub}",
            f"0086 {prefix}-{sub[:4]}-{sub[4:]}",
        )
        national = (
            f"{prefix}{sub}",
            f"{prefix} {sub[:4]} {sub[4:]}",
            f"{prefix}-{sub[:4]}-{sub[4:]}",
        )
    elif cc == "1":
        styles = (f"+1 {prefix} {sub[:3]} {sub[3:]}", f"+1{prefix}{sub}", f"001 {prefix} {sub}")
        national = (
            f"({prefix}) {sub[:3]}-{sub[3:]}",
            f"{prefix}-{sub[:3]}-{sub[3:]}",
            f"{prefix}.{sub[:3]}.{sub[3:]}",
        )
    else:
        grouped = _group(sub, (4, 4)) if cc == "44" else sub
        styles = (
            f"+{cc} {prefix} {grouped}",
            f"+{cc}{prefix}{sub}",
            f"00{cc} {prefix} {sub}",
            f"+{cc} (0){prefix} {sub}",
        )
        national = (
            f"0{prefix} {grouped}",
            f"0{prefix}-{sub}",
            f"0{prefix}/{sub}",
            f"(0{prefix}) {sub}",
        )
    pool = styles if rng.random() < international else national
    return pool[int(rng.integers(len(pool)))]


def variant_postcode(postcode: str, country: str, rng: np.random.Generator) -> str:
    """The same postcode as another system stores it."""
    if country == "GB":
        return postcode.replace(" ", "") if rng.random() < 0.6 else postcode.lower()
    if country == "DE" and postcode.startswith("0"):
        return postcode.lstrip("0")  # a spreadsheet read it as a number
    if country == "US":
        if postcode.startswith("0") and rng.random() < 0.5:
            return postcode.lstrip("0")
        return f"{postcode}-{int(rng.integers(1000, 10000))}"
    return postcode


def variant_email(email: str, rng: np.random.Generator) -> str:
    """Same mailbox, different spelling: capitals, or Gmail's ignored dots."""
    local, domain = email.split("@")
    if domain == "gmail.com" and "." in local and rng.random() < 0.5:
        return f"{local.replace('.', '')}@{domain}"
    return f"{local.capitalize()}@{domain.upper() if rng.random() < 0.3 else domain}"


def other_email(email: str, rng: np.random.Generator) -> str:
    """A different mailbox of the same person (an old work or provider address)."""
    local, _ = email.split("@")
    domain = ("outlook.com", "icloud.com", "yahoo.com", "proton.me", "hotmail.com")[
        int(rng.integers(5))
    ]
    return f"{local.split('.')[0]}{int(rng.integers(1, 99))}@{domain}"
