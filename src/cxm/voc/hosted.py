"""The hosted survey's logic (``/s/{token}``), kept out of the route: which page the
respondent is on, which questions it shows, and reading a plain HTML form post.

Pages come from ``SurveyDefinition.pages()``; a page whose questions are all hidden
by skip logic is skipped. Each page is saved as a partial response when posted, so
a respondent who leaves half-way keeps what they answered; the last page completes.
Form field names: ``q.<id>`` (one value), ``q.<id>`` repeated (multi),
``q.<id>.<row>`` (matrix), ``q.<id>.<feature>.functional|dysfunctional`` (Kano).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from cxm.settings import get_settings
from cxm.store import Database
from cxm.voc.answers import AnswerRow, visible
from cxm.voc.invitations import LinkSubject
from cxm.voc.model import Question, SurveyDefinition
from cxm.voc.responses import respondent_language, saved_answers
from cxm.voc.surveys import definition_of, require_survey


@dataclass(frozen=True)
class HostedState:
    survey_id: str
    definition: SurveyDefinition
    language: str
    response_id: str
    answers: dict[str, list[AnswerRow]]
    pages: list[list[Question]]  # pages with at least one question to show
    page: int  # index into pages; == len(pages) when all are done
    complete: bool

    @property
    def last(self) -> bool:
        return self.page >= len(self.pages) - 1


def hosted_state(
    database: Database,
    link: LinkSubject,
    language: str | None,
    page: int | None,
    browser_language: str | None = None,
) -> HostedState:
    survey = require_survey(database, link.survey_id)
    response_id = f"r-{link.invitation_id}"
    found = database.query(
        "SELECT survey_version, language, status FROM survey_responses WHERE response_id = ?",
        [response_id],
    )
    version = int(found[0][0]) if found else survey.version
    definition = definition_of(database, link.survey_id, version) or survey.definition
    answers = saved_answers(database, response_id) if found else {}
    if found and not language:
        chosen = str(found[0][1])
    else:
        chosen = respondent_language(
            database, definition, link.profile_id, language, browser_language
        )
    pages = [
        shown
        for questions in definition.pages()
        if (shown := [q for q in questions if visible(q, answers)])
    ]
    complete = bool(found) and found[0][2] == "complete"
    first_open = next(
        (i for i, questions in enumerate(pages) if not all(q.id in answers for q in questions)),
        len(pages),
    )
    current = first_open if page is None else max(0, min(page, first_open, len(pages)))
    return HostedState(
        link.survey_id, definition, chosen, response_id, answers, pages, current, complete
    )


def form_answers(
    questions: Sequence[Question], form: Mapping[str, Sequence[str]]
) -> tuple[dict[str, Any], list[str]]:
    """Answers JSON from a form post, and the required questions left empty."""
    answers: dict[str, Any] = {}
    missing: list[str] = []
    for question in questions:
        key = f"q.{question.id}"
        value: Any = None
        if question.type == "multi":
            chosen = [v for v in form.get(key, []) if v]
            value = chosen or None
        elif question.type == "matrix":
            rows = {
                o.id: form[f"{key}.{o.id}"][0]
                for o in question.options
                if form.get(f"{key}.{o.id}") and form[f"{key}.{o.id}"][0]
            }
            value = rows or None
        elif question.type == "kano":
            pairs = {}
            for option in question.options:
                f = form.get(f"{key}.{option.id}.functional", [""])[0]
                d = form.get(f"{key}.{option.id}.dysfunctional", [""])[0]
                if f or d:
                    pairs[option.id] = {"functional": f, "dysfunctional": d}
            value = pairs or None
        else:
            raw = form.get(key, [""])[0]
            value = raw if raw.strip() else None
            if value is not None and question.numeric:
                value = int(raw) if raw.strip().lstrip("-").isdigit() else raw
        if value is None:
            if question.required:
                missing.append(question.id)
            continue
        answers[question.id] = value
    return answers, missing


def page_form_token(database: Database, token: str) -> str:
    """The hidden form field: an HMAC of the link token, so another site cannot post."""
    from cxm.auth.keyring import signing_key

    key = signing_key(database, get_settings().secret_key).encode()
    return hmac.new(key, b"cxm.survey-form:" + token.encode(), hashlib.sha256).hexdigest()


def form_token_valid(database: Database, token: str, submitted: str) -> bool:
    return hmac.compare_digest(page_form_token(database, token), submitted)
