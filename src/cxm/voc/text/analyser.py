"""The pluggable sentiment analyser.

Any class with a ``sentiment(texts, langs)`` method (see ``SentimentAnalyser``) can
replace the built-in lexicon analyser: set ``CXM_TEXT_ANALYSER=package.module:Class``
(instantiated once with no arguments). A stronger model — e.g. a transformer whose
weights are installed locally — plugs in this way without touching callers.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import ClassVar, Protocol, runtime_checkable

from cxm.voc.text.emoji import has_emoji
from cxm.voc.text.sentiment import Polarity, chinese, emoji_only, english, german, label_of

SUPPORTED_LANGUAGES = ("zh", "de", "en")
LABELS = ("negative", "neutral", "positive")


@runtime_checkable
class SentimentAnalyser(Protocol):
    """Labels texts whose languages are already known."""

    def sentiment(self, texts: Sequence[str], langs: Sequence[str]) -> list[tuple[str, float]]:
        """One ``(label, score)`` per text: label in ``LABELS``, score in [-1, 1]."""
        ...


class LexiconAnalyser:
    """The default: lexicon + rules per language (``cxm.voc.text.sentiment``)."""

    _by_language: ClassVar[dict[str, Callable[[str], Polarity]]] = {
        "en": english,
        "de": german,
        "zh": chinese,
    }

    def polarity(self, text: str, lang: str) -> Polarity | None:
        scorer = self._by_language.get(lang)
        if scorer is not None:
            return scorer(text)
        return emoji_only(text) if has_emoji(text) else None

    def sentiment(self, texts: Sequence[str], langs: Sequence[str]) -> list[tuple[str, float]]:
        results: list[tuple[str, float]] = []
        for text, lang in zip(texts, langs, strict=True):
            polarity = self.polarity(text, lang)
            results.append(label_of(polarity) if polarity is not None else ("neutral", 0.0))
        return results


def load_analyser(spec: str | None) -> SentimentAnalyser:
    """The analyser named by ``module:Class`` (or the default for an empty spec)."""
    if not spec:
        return LexiconAnalyser()
    module_name, _, class_name = spec.partition(":")
    if not module_name or not class_name:
        raise ValueError(f"CXM_TEXT_ANALYSER: expected 'module:Class', got {spec!r}")
    try:
        factory = getattr(importlib.import_module(module_name), class_name)
    except (ImportError, AttributeError) as error:
        raise ValueError(f"CXM_TEXT_ANALYSER: cannot load {spec!r}: {error}") from error
    analyser = factory()
    if not isinstance(analyser, SentimentAnalyser):
        raise ValueError(f"CXM_TEXT_ANALYSER: {spec!r} has no sentiment(texts, langs) method")
    return analyser


@lru_cache(maxsize=4)
def _cached(spec: str | None) -> SentimentAnalyser:
    return load_analyser(spec)


def configured_analyser() -> SentimentAnalyser:
    """The analyser ``CXM_TEXT_ANALYSER`` names (cached per value)."""
    return _cached(os.environ.get("CXM_TEXT_ANALYSER") or None)
