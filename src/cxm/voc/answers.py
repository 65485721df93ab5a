"""Checking a respondent's answers against the questions, and turning them into rows.

Answer shapes (JSON, keyed by question id): nps/csat/ces/rating → a number on the
question's scale; single → an option id; multi → a list of option ids; text → a
string; matrix → ``{row_id: number}``; kano → ``{feature_id: {"functional": a,
"dysfunctional": b}}`` with a, b in like|must-be|neutral|live-with|dislike.
Errors name the field as ``answers.<question>[.<item>]``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cxm.metrics.formulas import KANO_ANSWERS
from cxm.voc.model import Question, SurveyDefinition, SurveyError

MAX_TEXT_ANSWER = 5000


@dataclass(frozen=True)
class AnswerRow:
    question_id: str
    question_type: str
    item: str = ""
    score: float | None = None
    choice: Any = None
    text: str | None = None
    kano_functional: str | None = None
    kano_dysfunctional: str | None = None


def _number(value: Any, question: Question, where: str) -> float:
    assert question.scale is not None
    low, high = question.scale
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int | float) or value != int(value):
        raise SurveyError(where, f"a whole number from {low} to {high}")
    if not low <= value <= high:
        raise SurveyError(where, f"must be from {low} to {high}, not {value}")
    return float(value)


def _option_ids(question: Question) -> list[str]:
    return [option.id for option in question.options]


def check_answer(question: Question, value: Any) -> list[AnswerRow]:
    """The rows one answer becomes; ``SurveyError`` naming ``answers.<id>`` when invalid."""
    where = f"answers.{question.id}"
    kind = question.type
    if kind in ("nps", "csat", "ces", "rating"):
        return [AnswerRow(question.id, kind, score=_number(value, question, where))]
    if kind == "single":
        if value not in _option_ids(question):
            raise SurveyError(where, f"one of {', '.join(_option_ids(question))}")
        return [AnswerRow(question.id, kind, choice=value)]
    if kind == "multi":
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not value:
            raise SurveyError(where, "a non-empty list of option ids")
        for index, item in enumerate(value):
            if item not in _option_ids(question):
                raise SurveyError(f"{where}[{index}]", f"one of {', '.join(_option_ids(question))}")
        return [AnswerRow(question.id, kind, choice=list(dict.fromkeys(value)))]
    if kind == "text":
        if not isinstance(value, str):
            raise SurveyError(where, "a text")
        if len(value) > MAX_TEXT_ANSWER:
            raise SurveyError(where, f"longer than {MAX_TEXT_ANSWER} characters")
        return [AnswerRow(question.id, kind, text=value)] if value.strip() else []
    if kind == "matrix":
        if not isinstance(value, dict) or not value:
            raise SurveyError(where, "an object {row id: number}")
        rows = []
        for item, number in value.items():
            if item not in _option_ids(question):
                raise SurveyError(f"{where}.{item}", "not a row of this question")
            rows.append(
                AnswerRow(
                    question.id, kind, item=item, score=_number(number, question, f"{where}.{item}")
                )
            )
        return rows
    # kano
    if not isinstance(value, dict) or not value:
        raise SurveyError(where, "an object {feature id: {functional, dysfunctional}}")
    rows = []
    for item, pair in value.items():
        if item not in _option_ids(question):
            raise SurveyError(f"{where}.{item}", "not a feature of this question")
        if not isinstance(pair, dict):
            raise SurveyError(f"{where}.{item}", "an object {functional, dysfunctional}")
        for side in ("functional", "dysfunctional"):
            if pair.get(side) not in KANO_ANSWERS:
                raise SurveyError(f"{where}.{item}.{side}", f"one of {', '.join(KANO_ANSWERS)}")
        rows.append(
            AnswerRow(
                question.id,
                kind,
                item=item,
                kano_functional=pair["functional"],
                kano_dysfunctional=pair["dysfunctional"],
            )
        )
    return rows


def condition_value(rows: list[AnswerRow]) -> Any:
    """The single value a skip-logic condition compares (score or choice)."""
    if not rows:
        return None
    row = rows[0]
    return row.score if row.score is not None else row.choice


def visible(question: Question, answered: Mapping[str, list[AnswerRow]]) -> bool:
    if question.show_if is None:
        return True
    return question.show_if.matches(condition_value(answered.get(question.show_if.question, [])))


def check_answers(
    definition: SurveyDefinition,
    submitted: Any,
    earlier: Mapping[str, list[AnswerRow]],
    *,
    complete: bool,
) -> dict[str, list[AnswerRow]]:
    """Validate a (partial) submission given the answers saved before it.

    Returns the new rows per question id (an empty list clears an answer). A hidden
    question (its condition is false) must not be answered; on completion every
    visible required question must have an answer.
    """
    if not isinstance(submitted, dict):
        raise SurveyError("answers", "an object {question id: answer}")
    new: dict[str, list[AnswerRow]] = {}
    for question_id, value in submitted.items():
        question = definition.question(question_id)
        if question is None:
            raise SurveyError(f"answers.{question_id}", "no such question in this survey")
        new[question_id] = [] if value is None else check_answer(question, value)
    merged = {**earlier, **new}
    for question in definition.questions:
        shown = visible(question, merged)
        if not shown and merged.get(question.id):
            if question.id in new:
                on = question.show_if.question if question.show_if else ""
                raise SurveyError(
                    f"answers.{question.id}", f"not asked: the condition on {on} is not met"
                )
            new[question.id] = []  # an earlier answer the respondent's change has hidden
            merged[question.id] = []
        if complete and shown and question.required and not merged.get(question.id):
            raise SurveyError(f"answers.{question.id}", "required")
    return new
