"""Survey definitions: validation names the field; pages follow skip logic."""

from __future__ import annotations

from typing import Any

import pytest

from cxm.voc.model import SurveyError, parse_definition
from tests.voc.data import relationship_survey


def _error(data: Any) -> SurveyError:
    with pytest.raises(SurveyError) as caught:
        parse_definition(data)
    return caught.value


def test_a_valid_survey_parses_with_languages_and_pages() -> None:
    definition = parse_definition(relationship_survey())
    assert definition.languages == ("en", "de", "zh")
    assert [q.type for q in definition.questions] == ["nps", "text", "kano", "ces"]
    assert definition.question("nps").scale == (0, 10)  # type: ignore[union-attr]
    assert definition.question("effort").scale == (1, 7)  # type: ignore[union-attr]
    # "why" depends on "nps" (same page otherwise), so it starts page 2.
    assert [[q.id for q in page] for page in definition.pages()] == [
        ["nps"],
        ["why", "features", "effort"],
    ]
    assert definition.pick_language("de-AT") == "de"
    assert definition.pick_language("fr", None) == "en"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda d: d["questions"][3].update(scale=5), "questions[3].scale"),
        (lambda d: d["questions"][0].update(type="slider"), "questions[0].type"),
        (lambda d: d["questions"][1].update(id="nps"), "questions[1].id"),
        (
            lambda d: d["questions"][1]["show_if"].update(question="later"),
            "questions[1].show_if.question",
        ),
        (lambda d: d["questions"][0]["text"].pop("en"), "questions[0].text.en"),
        (lambda d: d["questions"][0]["text"].update(fr="Bonjour"), "questions[0].text.fr"),
        (lambda d: d["questions"][2].update(features=[]), "questions[2].features"),
        (lambda d: d.update(routing={"sla_hours": -1}), "routing.sla_hours"),
        (lambda d: d.update(routing={"webhook_url": "ftp://x"}), "routing.webhook_url"),
        (lambda d: d.update(name=""), "name"),
        (lambda d: d.update(questions=[]), "questions"),
    ],
)
def test_errors_name_the_field(change: Any, field: str) -> None:
    data = relationship_survey()
    change(data)
    assert _error(data).field == field


def test_a_rating_scale_must_be_whole_points() -> None:
    data = relationship_survey()
    data["questions"].append({"id": "r", "type": "rating", "text": "Rate", "scale": 1.5})
    assert _error(data).field == "questions[4].scale"
