"""The contract voc calls: analyse() and detect_language()."""

from __future__ import annotations

import pytest

from cxm.voc.text import TextAnalysis, analyse, detect_language


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("物流很快，两天就到了。", "zh"),
        ("Die Lieferung kam schon nach zwei Tagen, sehr gut verpackt.", "de"),
        ("The parcel came early and it was well packed.", "en"),
        ("配達はとても速かったです。", "ja"),
        ("Le colis est arrivé en retard et le service client ne répond pas.", "fr"),
        ("", "und"),
        ("12345 !!!", "und"),
    ],
)
def test_detect_language(text: str, expected: str) -> None:
    assert detect_language(text) == expected


def test_analyse_returns_one_result_per_text_in_order() -> None:
    results = analyse(
        [
            "Terrible service, the staff were rude and my refund never arrived.",
            "Der Kundenservice war super freundlich und hat sofort geholfen.",
            "质量太差了，用了两天就坏了，非常失望。",
            "",
        ]
    )
    assert [r.lang for r in results] == ["en", "de", "zh", "und"]
    assert [r.label for r in results] == ["negative", "positive", "negative", "neutral"]
    assert all(isinstance(r, TextAnalysis) and -1 <= r.score <= 1 for r in results)
    assert "staff" in results[0].topics and "returns" in results[0].topics
    assert "staff" in results[1].topics
    assert "product_quality" in results[2].topics
    assert results[3].score == 0.0 and results[3].topics == ()


def test_fixed_language_applies_to_all_and_bad_code_is_refused() -> None:
    assert analyse(["gut"], lang="de")[0].lang == "de"
    assert analyse(["gut"], lang="de")[0].label == "positive"
    with pytest.raises(ValueError, match="lang"):
        analyse(["x"], lang="Deutsch!")


def test_unsupported_language_is_neutral() -> None:
    result = analyse(["Je suis très content, merci beaucoup pour tout."])[0]
    assert (result.lang, result.label, result.score) == ("fr", "neutral", 0.0)
