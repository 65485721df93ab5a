"""Language detection, offline.

Three steps, cheapest first, because most texts are decided by the first:

1. Script. Han characters without kana are Chinese, kana Japanese, Hangul Korean,
   Cyrillic Russian, and so on: counting code points is exact for these and costs
   one pass over the text.
2. Latin script, German or English: a count of very common function words
   (articles, pronouns, auxiliaries) that each language has and the other does not.
   A clear majority (two words or more ahead) decides.
3. Anything else Latin-script goes to lingua (``lingua-language-detector``, n-gram
   models that ship inside the wheel), restricted to the languages listed in
   ``LATIN_LANGUAGES`` — fewer candidates make it faster and more accurate on short
   texts. The detector is built once, lazily, in lingua's low-accuracy mode
   (trigram models only): loading takes ~0.2 s instead of ~2.5 s for the full
   models, which matters for a one-line ``cxm text sentiment``, and the texts that
   reach this step are the ones the function-word count could not place.

The answer is an ISO 639-1 code, or ``und`` when the text has no letters.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

# ISO 639-1 code per lingua language name, for the Latin-script languages we let it pick from.
LATIN_LANGUAGES = {
    "ENGLISH": "en",
    "GERMAN": "de",
    "FRENCH": "fr",
    "SPANISH": "es",
    "ITALIAN": "it",
    "DUTCH": "nl",
    "PORTUGUESE": "pt",
    "POLISH": "pl",
    "TURKISH": "tr",
}

_WORD = re.compile(r"[a-zäöüß]+")
# Function words frequent in one language and (nearly) absent from the other.
_EN_WORDS = frozenset(
    [
        "the",
        "and",
        "is",
        "was",
        "were",
        "are",
        "it",
        "to",
        "of",
        "for",
        "with",
        "my",
        "you",
        "i",
        "this",
        "that",
        "not",
        "very",
        "have",
        "has",
        "had",
        "but",
        "they",
        "we",
        "me",
        "at",
        "be",
        "been",
        "on",
        "no",
        "so",
        "just",
        "from",
        "what",
        "would",
        "will",
        "never",
        "again",
    ]
)
_DE_WORDS = frozenset(
    [
        "der",
        "die",
        "das",
        "und",
        "ist",
        "war",
        "nicht",
        "ich",
        "ein",
        "eine",
        "einen",
        "mit",
        "für",
        "auf",
        "zu",
        "sehr",
        "mein",
        "meine",
        "sie",
        "wir",
        "es",
        "auch",
        "noch",
        "kein",
        "keine",
        "hat",
        "habe",
        "wird",
        "wurde",
        "nach",
        "bei",
        "von",
        "aber",
        "schon",
        "immer",
        "den",
        "dem",
        "des",
        "im",
        "ganz",
        "nie",
        "wieder",
    ]
)
_GERMAN_LETTERS = frozenset("äöüß")
SHORT_TEXT_WORDS = 4


def _script(text: str) -> str | None:
    """The language a non-Latin script implies, or None for Latin/no letters."""
    han = kana = hangul = cyrillic = arabic = 0
    for char in text:
        code = ord(char)
        if code < 0x0370:
            continue
        if 0x4E00 <= code <= 0x9FFF or 0x3400 <= code <= 0x4DBF or 0xF900 <= code <= 0xFAFF:
            han += 1
        elif 0x3040 <= code <= 0x30FF:
            kana += 1
        elif 0xAC00 <= code <= 0xD7AF or 0x1100 <= code <= 0x11FF:
            hangul += 1
        elif 0x0400 <= code <= 0x04FF:
            cyrillic += 1
        elif 0x0600 <= code <= 0x06FF:
            arabic += 1
    if kana:
        return "ja"
    if hangul > han:
        return "ko"
    if han:
        return "zh"
    if cyrillic:
        return "ru"
    if arabic:
        return "ar"
    return None


@lru_cache(maxsize=1)
def _lingua() -> Any:
    from lingua import Language, LanguageDetectorBuilder

    languages = [getattr(Language, name) for name in LATIN_LANGUAGES]
    return LanguageDetectorBuilder.from_languages(*languages).with_low_accuracy_mode().build()


def detect_language(text: str) -> str:
    """ISO 639-1 code of ``text``'s language (``zh``, ``de``, ``en``, …) or ``und``."""
    by_script = _script(text)
    if by_script is not None:
        return by_script
    lowered = text.lower()
    words = _WORD.findall(lowered)
    if not words:
        return "und"
    english = sum(1 for word in words if word in _EN_WORDS)
    german = sum(1 for word in words if word in _DE_WORDS)
    if any(char in _GERMAN_LETTERS for char in lowered):
        german += 1
    if german >= english + 2 or (german >= 1 and english == 0 and len(words) <= 3):
        return "de"
    if english >= german + 2 or (english >= 1 and german == 0 and len(words) <= 3):
        return "en"
    found = _lingua().detect_language_of(text)
    code = "und" if found is None else LATIN_LANGUAGES.get(found.name, "und")
    if code not in ("en", "de") and len(words) <= SHORT_TEXT_WORDS:
        return _short_text_language(words) or code
    return code


def _short_text_language(words: list[str]) -> str | None:
    """en/de for a very short text holding a word of that language's sentiment lexicon.

    n-gram models cannot tell "Terrible." (English or French?) apart on one word; on
    a platform for zh/de/en customers the sentiment word is the better evidence.
    """
    from cxm.voc.text import lexicon_de
    from cxm.voc.text.sentiment import english_lexicon

    if any(word in english_lexicon() for word in words):
        return "en"
    if any(word in lexicon_de.WORDS for word in words):
        return "de"
    return None
