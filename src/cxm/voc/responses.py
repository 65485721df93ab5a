"""Accepting a survey response: validate, store, open closed-loop cases, alert owners.

One call per submission (a page of the hosted survey, a widget answer, an API
POST). Partial submissions are allowed and merge into the same response; the
response closes when ``complete`` is true, after which its token answers 409.
Cases are inserted in the same transaction as the answers that cause them, so the
case exists when the respondent gets the acknowledgement; alerts follow the commit.

Closed-loop triggers (documented in docs/voc.md):
- NPS 0–6 (detractor) → ``detractor``;
- CSAT 1–2 on the 5-point scale → ``low_csat``;
- CES 1–3 on the 7-point CES 2.0 scale, where 7 = "strongly agree it was easy", so
  LOW scores mean HIGH effort → ``high_effort``.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson

from cxm.store import Database, Transaction
from cxm.voc.alerts import alert_after_commit
from cxm.voc.answers import AnswerRow, check_answers
from cxm.voc.cases import Case, insert_case, new_case
from cxm.voc.config import voc_settings
from cxm.voc.invitations import LinkError, read_token
from cxm.voc.model import SurveyDefinition, SurveyError
from cxm.voc.surveys import definition_of, require_survey

log = logging.getLogger(__name__)
# (question type, highest score that opens a case, case reason)
CASE_RULES = (("nps", 6.0, "detractor"), ("csat", 2.0, "low_csat"), ("ces", 3.0, "high_effort"))


@dataclass(frozen=True)
class Submission:
    answers: Mapping[str, Any]
    complete: bool = True
    token: str | None = None
    identifier: str | None = None
    response_id: str | None = None
    language: str | None = None
    touchpoint: str | None = None
    channel: str | None = None


@dataclass
class ResponseResult:
    response_id: str
    survey_id: str
    survey_version: int
    status: str
    profile_id: str | None
    language: str
    cases: list[Case] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "response_id": self.response_id,
            "survey_id": self.survey_id,
            "survey_version": self.survey_version,
            "status": self.status,
            "profile_id": self.profile_id,
            "language": self.language,
            "cases": [c.case_id for c in self.cases],
        }


def parse_submission(body: Any) -> Submission:
    if not isinstance(body, dict):
        raise SurveyError("(body)", "a JSON object {answers, complete, token | identifier}")
    answers = body.get("answers", {})
    if not isinstance(answers, dict):
        raise SurveyError("answers", "an object {question id: answer}")
    complete = body.get("complete", True)
    if not isinstance(complete, bool):
        raise SurveyError("complete", "true or false")
    values: dict[str, str | None] = {}
    for key in ("token", "identifier", "response_id", "language", "touchpoint", "channel"):
        value = body.get(key)
        if value is not None and (not isinstance(value, str) or len(value) > 2000):
            raise SurveyError(key, "a text")
        values[key] = value
    return Submission(answers, complete, **values)


def _earlier_answers(database: Database, response_id: str) -> dict[str, list[AnswerRow]]:
    rows = database.query(
        "SELECT question_id, question_type, item, score, CAST(choice AS TEXT), text, "
        "kano_functional, kano_dysfunctional FROM survey_answers WHERE response_id = ?",
        [response_id],
    )
    found: dict[str, list[AnswerRow]] = {}
    for qid, kind, item, score, choice, text, functional, dysfunctional in rows:
        found.setdefault(qid, []).append(
            AnswerRow(
                qid,
                kind,
                item or "",
                score,
                orjson.loads(choice) if choice else None,
                text,
                functional,
                dysfunctional,
            )
        )
    return found


def _analyse(rows: list[AnswerRow], language: str) -> dict[int, tuple[str, float, list[str]]]:
    """Sentiment and topics of text answers, from the text stage when it is installed."""
    texts = [(i, r.text) for i, r in enumerate(rows) if r.question_type == "text" and r.text]
    if not texts:
        return {}
    try:
        from cxm.voc.text import analyse
    except ImportError:
        return {}
    try:
        results = analyse([t for _, t in texts], lang="auto")
    except Exception:  # text analytics must never lose a response
        log.exception("text analysis failed; answers stored without sentiment")
        return {}
    return {
        i: (r.label, float(r.score), list(r.topics))
        for (i, _), r in zip(texts, results, strict=True)
    }


def _profile_language(database: Database, profile_id: str | None) -> str | None:
    if profile_id is None:
        return None
    from cxm.privacy.preferences import get_preferences

    preferred = get_preferences(database, profile_id).language
    if preferred:
        return preferred
    locale = database.scalar(
        "SELECT locale FROM events WHERE profile_id = ? AND locale IS NOT NULL "
        "ORDER BY timestamp DESC LIMIT 1",
        [profile_id],
    )
    return str(locale) if locale else None


def respondent_language(
    database: Database,
    definition: SurveyDefinition,
    profile_id: str | None,
    asked: str | None,
    browser: str | None = None,
) -> str:
    """The asked language (``?lang=``, API field), else the person's saved preference or
    latest event locale, else the browser's first Accept-Language, else the default."""
    for candidate in (asked, _profile_language(database, profile_id), browser):
        if candidate and definition.pick_language(candidate) != definition.default_language:
            return definition.pick_language(candidate)
        if candidate and candidate.split("-")[0].lower() == definition.default_language:
            return definition.default_language
    return definition.default_language


def case_reasons(rows: list[AnswerRow], allowed: tuple[str, ...]) -> list[str]:
    reasons = []
    for row in rows:
        for kind, highest, reason in CASE_RULES:
            if (
                row.question_type == kind
                and row.score is not None
                and row.score <= highest
                and reason in allowed
                and reason not in reasons
            ):
                reasons.append(reason)
    return reasons


def _insert_answers(
    tx: Transaction,
    database: Database,
    rows: list[AnswerRow],
    analysis: dict[int, tuple[str, float, list[str]]],
    context: dict[str, Any],
) -> None:
    if not rows:
        return
    cast = "CAST(? AS JSONB)" if database.dialect == "postgresql" else "CAST(? AS JSON)"
    marks = f"(?, ?, ?, ?, ?, ?, {cast}, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, {cast}, ?)"
    params: list[Any] = []
    for index, row in enumerate(rows):
        label, score, topics = analysis.get(index, (None, None, None))
        params.extend(
            [
                context["response_id"],
                context["survey_id"],
                row.question_id,
                row.question_type,
                row.item,
                row.score,
                orjson.dumps(row.choice).decode() if row.choice is not None else None,
                row.text,
                row.kano_functional,
                row.kano_dysfunctional,
                context["profile_id"],
                context["touchpoint"],
                context["channel"],
                context["language"],
                context["now"],
                label,
                score,
                orjson.dumps(topics).decode() if topics is not None else None,
                context["version"],
            ]
        )
    # One statement for all of a submission's rows: each round trip costs ~1 ms on DuckDB.
    tx.execute(
        "INSERT INTO survey_answers (response_id, survey_id, question_id, question_type, item, "
        "score, choice, text, kano_functional, kano_dysfunctional, profile_id, touchpoint, "
        "channel, language, answered_at, sentiment_label, sentiment_score, topics, "
        f"survey_version) VALUES {', '.join([marks] * len(rows))}",
        params,
    )


def submit_response(database: Database, survey_id: str, submission: Submission) -> ResponseResult:
    """Validate and store one submission; raises ``SurveyError`` naming the bad field."""
    from cxm.identity import find_profile_id

    survey = require_survey(database, survey_id)
    invitation_id = None
    profile_id = None
    touchpoint = submission.touchpoint
    channel = submission.channel
    response_id = submission.response_id
    if submission.token:
        try:
            link = read_token(database, submission.token)
        except LinkError as error:
            raise SurveyError("token", error.reason, 410 if error.expired else 400) from error
        if link.survey_id != survey_id:
            raise SurveyError("token", "this link is for another survey")
        invitation_id = link.invitation_id
        profile_id = find_profile_id(database, link.profile_id) if link.profile_id else None
        touchpoint = link.touchpoint or touchpoint
        channel = link.channel or channel
        response_id = f"r-{invitation_id}"
    elif submission.identifier:
        profile_id = find_profile_id(database, submission.identifier)
        if profile_id is None:
            raise SurveyError("identifier", "no profile is known by this identifier", 404)
    existing = None
    if response_id:
        found = database.query(
            "SELECT survey_id, survey_version, profile_id, touchpoint, channel, language, status "
            "FROM survey_responses WHERE response_id = ?",
            [response_id],
        )
        if found:
            existing = found[0]
            if existing[0] != survey_id:
                raise SurveyError("response_id", "belongs to another survey")
            if existing[6] == "complete":
                raise SurveyError(
                    "token" if invitation_id else "response_id", "already answered", 409
                )
        elif not invitation_id:
            raise SurveyError("response_id", "no such response to continue", 404)
    else:
        response_id = f"r-{uuid.uuid4().hex[:16]}"
    if survey.status != "live" and existing is None:
        raise SurveyError("survey_id", f"survey is {survey.status}, not live", 409)
    version = int(existing[1]) if existing else survey.version
    definition = survey.definition
    if version != survey.version:
        definition = definition_of(database, survey_id, version) or survey.definition
    if existing:
        profile_id = existing[2] or profile_id
        touchpoint = existing[3] or touchpoint
        channel = existing[4] or channel
        language = str(existing[5])
    else:
        language = respondent_language(database, definition, profile_id, submission.language)
    touchpoint = touchpoint or definition.touchpoint
    channel = channel or definition.channel or "web"
    earlier = _earlier_answers(database, response_id) if existing else {}
    new = check_answers(definition, submission.answers, earlier, complete=submission.complete)
    rows = [row for question_rows in new.values() for row in question_rows]
    analysis = _analyse(rows, language)
    now = datetime.now(UTC)
    status = "complete" if submission.complete else "partial"
    routing = definition.routing
    reasons = case_reasons(rows, routing.case_reasons)
    settings = voc_settings() if reasons else None  # reading CXM_VOC_* costs ~2 ms
    open_reasons: set[str] = set()
    if existing and reasons:
        open_reasons = {
            r[0]
            for r in database.query("SELECT reason FROM cases WHERE response_id = ?", [response_id])
        }
    cases = [
        new_case(
            profile_id=profile_id,
            reason=reason,
            source=f"survey:{survey_id}",
            response_id=response_id,
            survey_id=survey_id,
            owner=routing.by_touchpoint.get(touchpoint or "")
            or routing.owner
            or (settings.default_owner if settings else None),
            touchpoint=touchpoint,
            sla_hours=routing.sla_hours,
            now=now,
        )
        for reason in reasons
        if reason not in open_reasons
    ]
    context = {
        "response_id": response_id,
        "survey_id": survey_id,
        "profile_id": profile_id,
        "touchpoint": touchpoint,
        "channel": channel,
        "language": language,
        "now": now,
        "version": version,
    }
    with database.transaction() as tx:
        if existing:
            tx.execute(
                "UPDATE survey_responses SET status = ?, completed_at = ?, updated_at = ? "
                "WHERE response_id = ?",
                [status, now if submission.complete else None, now, response_id],
            )
        else:
            tx.execute(
                "INSERT INTO survey_responses (response_id, survey_id, survey_version, profile_id, "
                "touchpoint, channel, language, status, started_at, completed_at, invitation_id, "
                "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    response_id,
                    survey_id,
                    version,
                    profile_id,
                    touchpoint,
                    channel,
                    language,
                    status,
                    now,
                    now if submission.complete else None,
                    invitation_id,
                    now,
                ],
            )
        for question_id in new:
            if question_id in earlier:
                tx.execute(
                    "DELETE FROM survey_answers WHERE response_id = ? AND question_id = ?",
                    [response_id, question_id],
                )
        _insert_answers(tx, database, rows, analysis, context)
        for case in cases:
            insert_case(tx, case)
        if invitation_id and submission.complete:
            tx.execute(
                "UPDATE survey_invitations SET status = 'responded', used_at = ? "
                "WHERE invitation_id = ?",
                [now, invitation_id],
            )
    if cases:
        alert_after_commit(database, cases, routing, settings)
    return ResponseResult(response_id, survey_id, version, status, profile_id, language, cases)


def saved_answers(database: Database, response_id: str) -> dict[str, list[AnswerRow]]:
    return _earlier_answers(database, response_id)


def response_status(database: Database, response_id: str) -> str | None:
    value = database.scalar(
        "SELECT status FROM survey_responses WHERE response_id = ?", [response_id]
    )
    return str(value) if value is not None else None
