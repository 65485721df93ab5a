"""A survey definition: questions, texts per language, skip logic, routing and rules.

Parsed from plain JSON (API, CLI file, builder page) into frozen dataclasses; every
validation error names the field the way the JSON spells it (``questions[2].scale``),
so a user can find it in their file.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from cxm.errors import FieldError
from cxm.metrics.formulas import KANO_ANSWERS

QUESTION_TYPES = ("nps", "csat", "ces", "rating", "single", "multi", "text", "kano", "matrix")
# Fixed scales of the three standard KPIs (NPS 0–10, CSAT 1–5, CES 2.0 1–7 "easy").
FIXED_SCALES: dict[str, tuple[int, int]] = {"nps": (0, 10), "csat": (1, 5), "ces": (1, 7)}
LANGUAGES = ("en", "de", "zh", "fr", "es", "it", "nl", "ja", "ko", "pt")
CONDITION_OPS = ("eq", "ne", "lt", "lte", "gt", "gte", "in", "answered")
CASE_REASONS = ("detractor", "low_csat", "high_effort")
_ID = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
_MAX_QUESTIONS = 100
_MAX_TEXT = 2000


class SurveyError(FieldError):
    """Bad survey input; ``field`` is the JSON path of what is wrong."""


@dataclass(frozen=True)
class Option:
    id: str
    text: dict[str, str]


@dataclass(frozen=True)
class Condition:
    """Show the question only when an earlier question's answer matches."""

    question: str
    op: str
    value: Any = None

    def matches(self, answer: Any) -> bool:
        if self.op == "answered":
            return answer is not None
        if answer is None:
            return False
        if self.op == "in":
            return answer in self.value
        if self.op in ("eq", "ne"):
            equal = answer == self.value or (
                isinstance(answer, list) and self.value in answer and self.op == "eq"
            )
            return equal if self.op == "eq" else not equal
        try:
            left, right = float(answer), float(self.value)
        except (TypeError, ValueError):
            return False
        return {
            "lt": left < right,
            "lte": left <= right,
            "gt": left > right,
            "gte": left >= right,
        }[self.op]


@dataclass(frozen=True)
class Question:
    id: str
    type: str
    text: dict[str, str]
    required: bool = False
    scale: tuple[int, int] | None = None  # (low, high) for numeric answers
    options: tuple[Option, ...] = ()  # single / multi choices, matrix rows, Kano features
    show_if: Condition | None = None
    page_break: bool = False  # start a new page of the hosted survey before this question
    labels: dict[str, tuple[str, str]] = field(default_factory=dict)  # scale end labels

    @property
    def numeric(self) -> bool:
        return self.type in ("nps", "csat", "ces", "rating", "matrix")


@dataclass(frozen=True)
class Routing:
    """Who follows up a case from this survey, how fast, and how they are alerted."""

    owner: str | None = None
    sla_hours: float = 48.0
    webhook_url: str | None = None
    email: str | None = None
    case_reasons: tuple[str, ...] = CASE_REASONS
    by_touchpoint: dict[str, str] = field(default_factory=dict)  # touchpoint -> owner


@dataclass(frozen=True)
class Rules:
    """Per-survey recontact rules (the global cooldown is in ``cxm.voc.config``)."""

    cooldown_days: float = 90.0  # same survey to the same person at most this often
    max_per_person: int | None = None


@dataclass(frozen=True)
class SurveyDefinition:
    name: str
    default_language: str
    languages: tuple[str, ...]
    title: dict[str, str]
    intro: dict[str, str]
    thanks: dict[str, str]
    questions: tuple[Question, ...]
    touchpoint: str | None = None
    channel: str | None = None
    routing: Routing = Routing()
    rules: Rules = Rules()
    raw: Mapping[str, Any] = field(default_factory=dict)

    def question(self, question_id: str) -> Question | None:
        for question in self.questions:
            if question.id == question_id:
                return question
        return None

    def text(self, texts: Mapping[str, str], language: str) -> str:
        return (
            texts.get(language)
            or texts.get(self.default_language)
            or next(iter(texts.values()), "")
        )

    def pick_language(self, *wanted: str | None) -> str:
        """The first wanted language the survey has (``de-AT`` counts as ``de``)."""
        for candidate in wanted:
            if candidate:
                short = candidate.replace("_", "-").split("-")[0].lower()
                if short in self.languages:
                    return short
        return self.default_language

    def pages(self) -> list[list[Question]]:
        """Questions grouped into hosted-survey pages: a page ends before an explicit
        ``page_break`` or before a question whose condition reads an answer given on
        the same page (a plain HTML form cannot branch without a round trip)."""
        pages: list[list[Question]] = []
        current: list[Question] = []
        for question in self.questions:
            on_page = {q.id for q in current}
            if current and (
                question.page_break
                or (question.show_if is not None and question.show_if.question in on_page)
            ):
                pages.append(current)
                current = []
            current.append(question)
        if current:
            pages.append(current)
        return pages


def _texts(value: Any, where: str, languages: tuple[str, ...], default: str) -> dict[str, str]:
    if isinstance(value, str):
        value = {default: value}
    if not isinstance(value, dict) or not value:
        raise SurveyError(where, "a text, or an object of texts by language ({'en': '...'})")
    texts: dict[str, str] = {}
    for language, text in value.items():
        if language not in languages:
            raise SurveyError(f"{where}.{language}", f"language not in the survey's {languages}")
        if not isinstance(text, str) or not text.strip():
            raise SurveyError(f"{where}.{language}", "must be a non-empty text")
        if len(text) > _MAX_TEXT:
            raise SurveyError(f"{where}.{language}", f"longer than {_MAX_TEXT} characters")
        texts[language] = text
    if default not in texts:
        raise SurveyError(f"{where}.{default}", "the default language's text is required")
    return texts


def _identifier(value: Any, where: str) -> str:
    if not isinstance(value, str) or not _ID.match(value):
        raise SurveyError(where, "1–64 letters, digits, '_', '.', '-'")
    return value


def _options(
    value: Any, where: str, languages: tuple[str, ...], default: str
) -> tuple[Option, ...]:
    if not isinstance(value, list) or not value:
        raise SurveyError(where, "a non-empty list of {id, text}")
    seen: set[str] = set()
    options = []
    for index, item in enumerate(value):
        at = f"{where}[{index}]"
        if not isinstance(item, dict):
            raise SurveyError(at, "an object {id, text}")
        option_id = _identifier(item.get("id"), f"{at}.id")
        if option_id in seen:
            raise SurveyError(f"{at}.id", f"{option_id!r} is used twice")
        seen.add(option_id)
        options.append(
            Option(option_id, _texts(item.get("text"), f"{at}.text", languages, default))
        )
    return tuple(options)


def _scale(question: dict[str, Any], kind: str, where: str) -> tuple[int, int] | None:
    if kind in FIXED_SCALES:
        fixed = FIXED_SCALES[kind]
        if "scale" in question and question["scale"] not in (fixed[1], list(fixed)):
            raise SurveyError(
                f"{where}.scale", f"{kind} always uses {fixed[0]}–{fixed[1]}; leave it out"
            )
        return fixed
    if kind in ("rating", "matrix"):
        size = question.get("scale", 5)
        if isinstance(size, bool) or not isinstance(size, int) or not 2 <= size <= 11:
            raise SurveyError(f"{where}.scale", "a whole number of points from 2 to 11")
        return (1, size)
    if "scale" in question:
        raise SurveyError(f"{where}.scale", f"a {kind} question has no scale")
    return None


def _condition(value: Any, where: str, earlier: dict[str, Question]) -> Condition | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise SurveyError(where, "an object {question, op, value}")
    target = value.get("question")
    if target not in earlier:
        raise SurveyError(f"{where}.question", "must name an earlier question")
    if earlier[target].type in ("kano", "matrix", "text"):
        raise SurveyError(f"{where}.question", "conditions read nps/csat/ces/rating/choice answers")
    op = value.get("op", "eq")
    if op not in CONDITION_OPS:
        raise SurveyError(f"{where}.op", f"one of {', '.join(CONDITION_OPS)}")
    if op == "in" and not isinstance(value.get("value"), list):
        raise SurveyError(f"{where}.value", "'in' needs a list")
    if op != "answered" and "value" not in value:
        raise SurveyError(f"{where}.value", "required for this op")
    return Condition(target, op, value.get("value"))


def _scale_labels(value: Any, where: str, languages: tuple[str, ...]) -> dict[str, tuple[str, str]]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise SurveyError(where, "an object {language: [low label, high label]}")
    labels = {}
    for language, pair in value.items():
        if language not in languages or not (
            isinstance(pair, list) and len(pair) == 2 and all(isinstance(p, str) for p in pair)
        ):
            raise SurveyError(f"{where}.{language}", "[low label, high label] in a survey language")
        labels[language] = (pair[0], pair[1])
    return labels


def _question(
    item: Any, index: int, languages: tuple[str, ...], default: str, earlier: dict[str, Question]
) -> Question:
    where = f"questions[{index}]"
    if not isinstance(item, dict):
        raise SurveyError(where, "an object {id, type, text, ...}")
    question_id = _identifier(item.get("id"), f"{where}.id")
    if question_id in earlier:
        raise SurveyError(f"{where}.id", f"{question_id!r} is used twice")
    kind = item.get("type")
    if kind not in QUESTION_TYPES:
        raise SurveyError(f"{where}.type", f"one of {', '.join(QUESTION_TYPES)}")
    options: tuple[Option, ...] = ()
    if kind in ("single", "multi"):
        options = _options(item.get("options"), f"{where}.options", languages, default)
    elif kind == "matrix":
        options = _options(item.get("rows"), f"{where}.rows", languages, default)
    elif kind == "kano":
        options = _options(item.get("features"), f"{where}.features", languages, default)
    required = item.get("required", False)
    if not isinstance(required, bool):
        raise SurveyError(f"{where}.required", "true or false")
    return Question(
        id=question_id,
        type=kind,
        text=_texts(item.get("text"), f"{where}.text", languages, default),
        required=required,
        scale=_scale(item, kind, where),
        options=options,
        show_if=_condition(item.get("show_if"), f"{where}.show_if", earlier),
        page_break=bool(item.get("page_break", False)),
        labels=_scale_labels(item.get("labels"), f"{where}.labels", languages),
    )


def _routing(value: Any) -> Routing:
    if value is None:
        return Routing()
    if not isinstance(value, dict):
        raise SurveyError("routing", "an object {owner, sla_hours, webhook_url, email}")
    sla = value.get("sla_hours", 48)
    if isinstance(sla, bool) or not isinstance(sla, int | float) or not 0 < sla <= 24 * 90:
        raise SurveyError("routing.sla_hours", "hours between 0 and 2160")
    webhook = value.get("webhook_url")
    if webhook is not None and (
        not isinstance(webhook, str) or not webhook.startswith(("http://", "https://"))
    ):
        raise SurveyError("routing.webhook_url", "an http(s) URL")
    email = value.get("email")
    if email is not None and (not isinstance(email, str) or "@" not in email):
        raise SurveyError("routing.email", "an e-mail address")
    owner = value.get("owner")
    if owner is not None and not isinstance(owner, str):
        raise SurveyError("routing.owner", "a text")
    reasons = value.get("case_reasons", list(CASE_REASONS))
    if not isinstance(reasons, list) or any(r not in CASE_REASONS for r in reasons):
        raise SurveyError("routing.case_reasons", f"a list of {', '.join(CASE_REASONS)}")
    by_touchpoint = value.get("by_touchpoint", {})
    if not isinstance(by_touchpoint, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in by_touchpoint.items()
    ):
        raise SurveyError("routing.by_touchpoint", "an object {touchpoint: owner}")
    return Routing(owner, float(sla), webhook, email, tuple(reasons), dict(by_touchpoint))


def _rules(value: Any) -> Rules:
    if value is None:
        return Rules()
    if not isinstance(value, dict):
        raise SurveyError("rules", "an object {cooldown_days, max_per_person}")
    cooldown = value.get("cooldown_days", 90)
    if isinstance(cooldown, bool) or not isinstance(cooldown, int | float) or cooldown < 0:
        raise SurveyError("rules.cooldown_days", "a number of days ≥ 0")
    most = value.get("max_per_person")
    if most is not None and (isinstance(most, bool) or not isinstance(most, int) or most < 1):
        raise SurveyError("rules.max_per_person", "a whole number ≥ 1")
    return Rules(float(cooldown), most)


def parse_definition(data: Any) -> SurveyDefinition:
    """Validate a survey's JSON; ``SurveyError`` names the first bad field."""
    if not isinstance(data, dict):
        raise SurveyError("(body)", "a JSON object")
    name = data.get("name")
    if not isinstance(name, str) or not name.strip() or len(name) > 200:
        raise SurveyError("name", "a text of 1–200 characters")
    default = data.get("default_language", "en")
    if default not in LANGUAGES:
        raise SurveyError("default_language", f"one of {', '.join(LANGUAGES)}")
    languages = data.get("languages", [default])
    if not isinstance(languages, list) or any(x not in LANGUAGES for x in languages):
        raise SurveyError("languages", f"a list of {', '.join(LANGUAGES)}")
    langs = tuple(dict.fromkeys([default, *languages]))
    questions_in = data.get("questions")
    if not isinstance(questions_in, list) or not questions_in:
        raise SurveyError("questions", "a non-empty list")
    if len(questions_in) > _MAX_QUESTIONS:
        raise SurveyError("questions", f"at most {_MAX_QUESTIONS}")
    earlier: dict[str, Question] = {}
    for index, item in enumerate(questions_in):
        question = _question(item, index, langs, default, earlier)
        earlier[question.id] = question
    for key in ("touchpoint", "channel"):
        if data.get(key) is not None and not isinstance(data.get(key), str):
            raise SurveyError(key, "a text")
    title = _texts(data.get("title", name), "title", langs, default)
    return SurveyDefinition(
        name=name.strip(),
        default_language=default,
        languages=langs,
        title=title,
        intro=_texts(data["intro"], "intro", langs, default) if data.get("intro") else {},
        thanks=_texts(data["thanks"], "thanks", langs, default) if data.get("thanks") else {},
        questions=tuple(earlier.values()),
        touchpoint=data.get("touchpoint"),
        channel=data.get("channel"),
        routing=_routing(data.get("routing")),
        rules=_rules(data.get("rules")),
        raw=data,
    )


KANO_CHOICES = KANO_ANSWERS
