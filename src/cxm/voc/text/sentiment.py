"""Sentiment per language: label (negative/neutral/positive) and a score in [-1, 1].

Every analyser sums word valences on VADER's scale (-4 … +4) with the same rules
VADER uses (Hutto & Gilbert 2014): a negator in the three words before a word flips
and damps it (× -0.74), a booster before it scales it, words after a contrast
("but", "aber", "但是") count 1.5×, before it 0.5×. The sum ``s`` becomes a score
with VADER's normalisation ``s / sqrt(s² + 15)``.

English uses VADER itself plus a customer-feedback supplement (``lexicon_en``);
German and Chinese use hand-written lexicons (``lexicon_de``, ``lexicon_zh``) —
no German or Chinese lexicon that ships inside a package and runs offline was
both well kept and fast enough, see docs/text.md.

Labelling: neutral when ``|score| < NEUTRAL_BAND``, and also when the text holds
clearly positive and clearly negative parts of similar weight (a mixed review is
neither), else the score's sign.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from cxm.voc.text import lexicon_de, lexicon_en, lexicon_zh
from cxm.voc.text.emoji import emoji_valences

NEUTRAL_BAND = 0.2
NEGATION_SCALAR = -0.74
ALPHA = 15.0
# A sentence counts as clearly positive/negative when its net valence reaches this.
CLEAR_SENTENCE = 0.9
# A text with clearly positive and clearly negative sentences is "mixed" (neutral)
# unless one side outweighs the other by more than 1 / MIXED_RATIO.
MIXED_RATIO = 0.4
_SENTENCE_END = re.compile(r"(?<=[.!?。！？；;\n])")


@dataclass(frozen=True)
class Polarity:
    """Positive and negative evidence found in a text (sums ≥ 0) and clear sentences."""

    positive: float
    negative: float
    positive_sentences: int = 0
    negative_sentences: int = 0

    @property
    def score(self) -> float:
        total = self.positive - self.negative
        return total / math.sqrt(total * total + ALPHA)


def split_sentences(text: str) -> list[str]:
    """Sentences, split after . ! ? ; and their CJK forms (kept with the sentence)."""
    return [part for part in _SENTENCE_END.split(text) if part.strip()]


def combine(sentence_valences: list[list[float]]) -> Polarity:
    """One text's Polarity from the word valences of each of its sentences."""
    positive = negative = 0.0
    clear_positive = clear_negative = 0
    for valences in sentence_valences:
        sentence_positive = sum(v for v in valences if v > 0)
        sentence_negative = -sum(v for v in valences if v < 0)
        positive += sentence_positive
        negative += sentence_negative
        net = sentence_positive - sentence_negative
        clear_positive += net >= CLEAR_SENTENCE
        clear_negative += net <= -CLEAR_SENTENCE
    return Polarity(positive, negative, clear_positive, clear_negative)


def label_of(polarity: Polarity) -> tuple[str, float]:
    """(label, score) for the evidence, with the neutral band and the mixed rule."""
    score = round(polarity.score, 4)
    strong = max(polarity.positive, polarity.negative)
    weak = min(polarity.positive, polarity.negative)
    mixed = (
        polarity.positive_sentences > 0
        and polarity.negative_sentences > 0
        and weak >= MIXED_RATIO * strong
    )
    if abs(score) < NEUTRAL_BAND or mixed:
        return "neutral", score
    return ("positive" if score > 0 else "negative"), score


def _phrases(text: str, phrases: dict[str, float]) -> list[float]:
    """Valences of the lexicon phrases found in ``text`` (lower-cased)."""
    found = []
    for phrase, valence in phrases.items():
        count = text.count(phrase)
        if count:
            found.extend([valence] * count)
    return found


# --- German -----------------------------------------------------------------------------

_DE_TOKEN = re.compile(r"[a-zäöüß]+(?:-[a-zäöüß]+)*|[.!?;,]")


@lru_cache(maxsize=50_000)
def _de_valence(word: str) -> float | None:
    value = lexicon_de.WORDS.get(word)
    if value is not None:
        return value
    for suffix in lexicon_de.SUFFIXES:
        if len(word) > len(suffix) + 3 and word.endswith(suffix):
            value = lexicon_de.WORDS.get(word[: -len(suffix)])
            if value is not None:
                return value
    return None


def _german_sentence(sentence: str) -> list[float]:
    tokens = _DE_TOKEN.findall(sentence)
    valences = _phrases(sentence, lexicon_de.PHRASES)
    words: list[float] = []
    contrast_at = -1
    for index, token in enumerate(tokens):
        if token in lexicon_de.CONTRAST:
            contrast_at = len(words)
            continue
        valence = _de_valence(token)
        if valence is None:
            continue
        window = tokens[max(0, index - 3) : index]
        boost = 1.0
        for earlier in window:
            boost = 1.0 if earlier == "," else boost + lexicon_de.BOOSTERS.get(earlier, 0.0)
        valence *= boost
        clause = window[len(window) - window[::-1].index(",") :] if "," in window else window
        negated = any(w in lexicon_de.NEGATORS for w in clause)
        if negated or tokens[index + 1 : index + 2] in (["nicht"], ["nie"]):
            valence *= NEGATION_SCALAR
        words.append(valence)
    if contrast_at >= 0:  # VADER's "but" rule
        words = [v * (0.5 if i < contrast_at else 1.5) for i, v in enumerate(words)]
    return valences + words + emoji_valences(sentence)


def german(text: str) -> Polarity:
    """Lexicon + rules for German."""
    return combine([_german_sentence(s) for s in split_sentences(text.lower())])


# --- Chinese ----------------------------------------------------------------------------

_ZH_KINDS: dict[str, str] = {}
for _word in lexicon_zh.WORDS:
    _ZH_KINDS[_word] = "word"
for _word in lexicon_zh.NEGATORS:
    _ZH_KINDS.setdefault(_word, "negator")
for _word in lexicon_zh.BOOSTERS:
    _ZH_KINDS.setdefault(_word, "booster")
for _word in lexicon_zh.CONTRAST:
    _ZH_KINDS.setdefault(_word, "contrast")
_ZH_LONGEST = max(len(word) for word in _ZH_KINDS)


def _zh_tokens(text: str) -> list[tuple[str, str]]:
    """Lexicon entries (and clause breaks) by forward maximum matching."""
    found: list[tuple[str, str]] = []
    index, size = 0, len(text)
    while index < size:
        char = text[index]
        if char in lexicon_zh.PUNCTUATION:
            found.append((char, "break"))
            index += 1
            continue
        for length in range(min(_ZH_LONGEST, size - index), 0, -1):
            piece = text[index : index + length]
            kind = _ZH_KINDS.get(piece)
            if kind is not None:
                found.append((piece, kind))
                index += length
                break
        else:
            found.append(("", "gap"))
            index += 1
    return found


def _chinese_sentence(sentence: str) -> list[float]:
    valences: list[float] = []
    boost, negated, gap = 1.0, False, 0
    contrast_at = -1
    for piece, kind in _zh_tokens(sentence):
        if kind == "gap":
            gap += 1
            if gap > 2:  # a modifier reaches at most two characters ahead
                boost, negated = 1.0, False
            continue
        if kind == "break":
            boost, negated, gap = 1.0, False, 0
            continue
        gap = 0
        if kind == "negator":
            negated = not negated
        elif kind == "booster":
            boost += lexicon_zh.BOOSTERS[piece]
        elif kind == "contrast":
            contrast_at = len(valences)
        else:
            valence = lexicon_zh.WORDS[piece] * boost
            valences.append(valence * NEGATION_SCALAR if negated else valence)
            boost, negated = 1.0, False
    if contrast_at >= 0:
        valences = [v * (0.5 if i < contrast_at else 1.5) for i, v in enumerate(valences)]
    return valences + emoji_valences(sentence)


def chinese(text: str) -> Polarity:
    """Lexicon + rules for Chinese."""
    return combine([_chinese_sentence(s) for s in split_sentences(text)])


# --- English ----------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _vader() -> Any:
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    analyser = SentimentIntensityAnalyzer()
    analyser.lexicon.update(lexicon_en.WORDS)
    for word in lexicon_en.NEUTRAL:
        analyser.lexicon.pop(word, None)
    return analyser


def english_lexicon() -> dict[str, float]:
    """VADER's lexicon with the customer-feedback changes (lower-case words)."""
    lexicon: dict[str, float] = _vader().lexicon
    return lexicon


def _english_sentence(sentence: str) -> list[float]:
    from vaderSentiment.vaderSentiment import BOOSTER_DICT, SentiText

    analyser = _vader()
    sentitext = SentiText(sentence)
    words = sentitext.words_and_emoticons
    sentiments: list[float] = []
    for index, item in enumerate(words):
        lowered = item.lower()
        if lowered in BOOSTER_DICT or (
            lowered == "kind" and index < len(words) - 1 and words[index + 1].lower() == "of"
        ):
            sentiments.append(0.0)
            continue
        sentiments = analyser.sentiment_valence(0.0, sentitext, item, index, sentiments)
    sentiments = analyser._but_check(words, sentiments)
    words_found = [float(v) for v in sentiments if v]
    return words_found + _phrases(sentence.lower(), lexicon_en.PHRASES) + emoji_valences(sentence)


def emoji_only(text: str) -> Polarity:
    """Emoji alone, for texts in a language without a lexicon (or none)."""
    return combine([emoji_valences(s) for s in split_sentences(text)])


def english(text: str) -> Polarity:
    """VADER's per-word valences (its own rules) plus the customer-feedback phrases.

    This is VADER's ``polarity_scores`` loop per sentence without its final
    normalisation, so positive and negative evidence stay apart for the mixed rule
    (emoji are scored from ``cxm.voc.text.emoji`` in every language instead of
    VADER's emoji descriptions, which are English words).
    """
    return combine([_english_sentence(s) for s in split_sentences(text)])
