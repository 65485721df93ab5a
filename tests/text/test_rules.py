"""Sentiment rules, metrics by hand, the pluggable analyser and configurable topics."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import pytest

from cxm.voc.text import analyse
from cxm.voc.text.analyser import load_analyser
from cxm.voc.text.evaluate import HELDOUT_B, heldout_sample, scores
from cxm.voc.text.sentiment import Polarity, chinese, english, german, label_of
from cxm.voc.text.topics import find_topics, load_topics


def test_macro_f1_by_hand() -> None:
    truth = ["positive", "positive", "negative", "neutral"]
    predicted = ["positive", "negative", "negative", "positive"]
    # positive: P 1/2, R 1/2, F1 1/2; negative: P 1/2, R 1, F1 2/3; neutral: 0.
    result = scores(truth, predicted)
    assert result.accuracy == 0.5
    assert result.macro_f1 == pytest.approx((0.5 + 2 / 3 + 0) / 3)


def test_vader_normalisation_and_mixed_rule() -> None:
    # score = s / sqrt(s^2 + 15): s = 1 -> 0.25 exactly.
    assert label_of(Polarity(1.0, 0.0)) == ("positive", 0.25)
    assert label_of(Polarity(0.5, 0.0))[0] == "neutral"  # 0.128 < 0.2 band
    # Clearly positive and clearly negative sentences of similar weight: mixed.
    assert label_of(Polarity(3.0, 2.5, 1, 1))[0] == "neutral"
    assert label_of(Polarity(6.0, 1.0, 1, 1))[0] == "positive"


@pytest.mark.parametrize(
    ("scorer", "good", "negated"),
    [
        (german, "Der Service war gut.", "Der Service war nicht gut."),
        (german, "Die Lieferung war schnell.", "Die Lieferung war gar nicht schnell."),
        (chinese, "质量好。", "质量不好。"),
        (chinese, "服务很满意。", "服务不太满意。"),
        (english, "The service was good.", "The service was not good."),
    ],
)
def test_negation_flips(scorer: object, good: str, negated: str) -> None:
    assert callable(scorer)
    assert scorer(good).score > 0.2
    assert scorer(negated).score < 0


def test_boosters_and_contrast() -> None:
    assert german("sehr gut").score > german("gut").score
    assert chinese("非常满意").score > chinese("满意").score
    # After "aber"/"但是" the second half dominates (VADER's "but" rule).
    assert german("Die Preise sind gut, aber der Service ist schlecht.").score < 0
    assert chinese("价格不错，但是服务很差。").score < 0


class Constant:
    """A stand-in stronger model: everything is positive."""

    def sentiment(self, texts: Sequence[str], langs: Sequence[str]) -> list[tuple[str, float]]:
        return [("positive", 1.0) for _ in texts]


def test_pluggable_analyser(monkeypatch: pytest.MonkeyPatch) -> None:
    assert isinstance(load_analyser(f"{__name__}:Constant"), Constant)
    with pytest.raises(ValueError, match="module:Class"):
        load_analyser("no-colon")
    with pytest.raises(ValueError, match="cannot load"):
        load_analyser("cxm.nowhere:Thing")
    monkeypatch.setenv("CXM_TEXT_ANALYSER", f"{__name__}:Constant")
    assert analyse(["Terrible."])[0].label == "positive"


def test_topics_configurable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert find_topics("Die Rücksendung war einfach.", "de") == ("returns",)
    assert find_topics("快递员把箱子放在雨里", "zh") == ("delivery",)
    assert find_topics("The courier was late", "en") == ("delivery",)
    path = tmp_path / "topics.json"
    path.write_text(json.dumps({"sustainability": {"en": ["plastic", "recycl"]}, "price": {}}))
    topics = load_topics(str(path))
    assert "price" not in topics and "sustainability" in topics
    monkeypatch.setenv("CXM_TEXT_TOPICS", str(path))
    result = analyse(["Too much plastic packaging, and too expensive."])[0]
    assert "sustainability" in result.topics and "price" not in result.topics
    path.write_text("[1, 2]")
    with pytest.raises(ValueError, match="JSON object"):
        load_topics(str(path))


def test_heldout_sample_is_balanced() -> None:
    samples = heldout_sample()
    assert len(samples) == 90 and len(heldout_sample(HELDOUT_B)) == 90
    for lang in ("en", "de", "zh"):
        for label in ("negative", "neutral", "positive"):
            assert sum(s.lang == lang and s.label == label for s in samples) == 10


def test_emoji_in_every_language_and_alone() -> None:
    results = analyse(["快递太慢了😡", "👍👍", "Das Paket ist da 👎", "🙂 ok"])
    assert [(r.lang, r.label) for r in results][:3] == [
        ("zh", "negative"),
        ("und", "positive"),
        ("de", "negative"),
    ]
    assert analyse(["Das Paket ist da."])[0].label == "neutral"
