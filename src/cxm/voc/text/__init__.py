"""Text analytics, offline: language detection, sentiment, topics; reviews and social listening.

The contract other areas call (see /work/briefs/contracts.md):
``analyse(texts, lang="auto") -> list[TextAnalysis]`` and ``detect_language(text)``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from cxm.voc.text.analyser import SUPPORTED_LANGUAGES, configured_analyser
from cxm.voc.text.language import detect_language
from cxm.voc.text.topics import find_topics, rules

__all__ = ["SUPPORTED_LANGUAGES", "TextAnalysis", "analyse", "detect_language"]

_LANG_CODE = re.compile(r"^[a-z]{2,3}$")


@dataclass(frozen=True)
class TextAnalysis:
    """One text's language, sentiment label and score (-1 … 1) and topics."""

    lang: str
    label: str
    score: float
    topics: tuple[str, ...]


def check_lang(lang: str) -> str:
    """``lang`` normalised (``auto`` or an ISO 639 code); ValueError otherwise."""
    normalised = (lang or "auto").strip().lower()
    if normalised != "auto" and not _LANG_CODE.match(normalised):
        raise ValueError(f"lang must be 'auto' or a language code such as zh, de, en; got {lang!r}")
    return normalised


def analyse(texts: Sequence[str], lang: str = "auto") -> list[TextAnalysis]:
    """Language, sentiment and topics of each text (same order).

    ``lang`` = ``auto`` detects each text's language; a code (``zh``, ``de``, ``en``)
    applies to all. Languages without a sentiment lexicon get ``neutral`` / 0.0 but
    still a language and (English-keyword) topics. Empty texts are ``und``/neutral.
    """
    wanted = check_lang(lang)
    texts = [text if isinstance(text, str) else "" for text in texts]
    langs = [detect_language(text) if wanted == "auto" else wanted for text in texts]
    sentiments = configured_analyser().sentiment(texts, langs)
    topic_rules = rules()
    return [
        TextAnalysis(code, label, float(score), find_topics(text, code, topic_rules))
        for text, code, (label, score) in zip(texts, langs, sentiments, strict=True)
    ]
