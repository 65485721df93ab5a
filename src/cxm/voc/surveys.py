"""Surveys in the store: create, edit (a live survey gets a new version), read, list.

A survey row holds identity and state; each version's definition is kept whole in
``survey_versions`` so a response is always read against the questions it answered.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson

from cxm.store import Database
from cxm.voc.model import SurveyDefinition, SurveyError, parse_definition

STATUSES = ("draft", "live", "archived")


@dataclass(frozen=True)
class Survey:
    survey_id: str
    name: str
    status: str
    version: int
    definition: SurveyDefinition
    created_at: datetime
    updated_at: datetime

    def summary(self) -> dict[str, Any]:
        return {
            "survey_id": self.survey_id,
            "name": self.name,
            "status": self.status,
            "version": self.version,
            "default_language": self.definition.default_language,
            "languages": list(self.definition.languages),
            "touchpoint": self.definition.touchpoint,
            "channel": self.definition.channel,
            "questions": len(self.definition.questions),
            "created_at": self.created_at.isoformat(),
            "updated_at": self.updated_at.isoformat(),
        }


def _json(value: Any) -> str:
    return orjson.dumps(value).decode()


def _cast_json(database: Database) -> str:
    return "CAST(? AS JSONB)" if database.dialect == "postgresql" else "CAST(? AS JSON)"


def create_survey(
    database: Database, data: Any, *, status: str = "live", survey_id: str | None = None
) -> Survey:
    """Validate and store a new survey (version 1)."""
    definition = parse_definition(data)
    if status not in STATUSES:
        raise SurveyError("status", f"one of {', '.join(STATUSES)}")
    wanted = survey_id or (data.get("survey_id") if isinstance(data, dict) else None)
    if wanted is not None and (not isinstance(wanted, str) or not 1 <= len(wanted) <= 64):
        raise SurveyError("survey_id", "a text of 1–64 characters")
    new_id = wanted or f"srv-{uuid.uuid4().hex[:10]}"
    if get_survey(database, new_id) is not None:
        raise SurveyError("survey_id", f"{new_id!r} exists already", 409)
    now = datetime.now(UTC)
    with database.transaction() as tx:
        tx.execute(
            "INSERT INTO surveys (survey_id, name, status, current_version, default_language, "
            "touchpoint, channel, created_at, updated_at) VALUES (?, ?, ?, 1, ?, ?, ?, ?, ?)",
            [
                new_id,
                definition.name,
                status,
                definition.default_language,
                definition.touchpoint,
                definition.channel,
                now,
                now,
            ],
        )
        tx.execute(
            "INSERT INTO survey_versions (survey_id, version, definition, created_at) "
            f"VALUES (?, 1, {_cast_json(database)}, ?)",
            [new_id, _json(dict(definition.raw)), now],
        )
    survey = get_survey(database, new_id)
    assert survey is not None
    return survey


def update_survey(database: Database, survey_id: str, data: Any) -> Survey:
    """New content for a survey: version n+1 (earlier responses keep their version)."""
    current = get_survey(database, survey_id)
    if current is None:
        raise SurveyError("survey_id", f"no survey {survey_id!r}", 404)
    definition = parse_definition(data)
    now = datetime.now(UTC)
    version = current.version + 1
    with database.transaction() as tx:
        tx.execute(
            "INSERT INTO survey_versions (survey_id, version, definition, created_at) "
            f"VALUES (?, ?, {_cast_json(database)}, ?)",
            [survey_id, version, _json(dict(definition.raw)), now],
        )
        tx.execute(
            "UPDATE surveys SET name = ?, current_version = ?, default_language = ?, "
            "touchpoint = ?, channel = ?, updated_at = ? WHERE survey_id = ?",
            [
                definition.name,
                version,
                definition.default_language,
                definition.touchpoint,
                definition.channel,
                now,
                survey_id,
            ],
        )
    survey = get_survey(database, survey_id)
    assert survey is not None
    return survey


def set_status(database: Database, survey_id: str, status: str) -> Survey:
    if status not in STATUSES:
        raise SurveyError("status", f"one of {', '.join(STATUSES)}")
    if get_survey(database, survey_id) is None:
        raise SurveyError("survey_id", f"no survey {survey_id!r}", 404)
    database.execute(
        "UPDATE surveys SET status = ?, updated_at = ? WHERE survey_id = ?",
        [status, datetime.now(UTC), survey_id],
    )
    survey = get_survey(database, survey_id)
    assert survey is not None
    return survey


# Parsing and validating a definition costs more than reading it, so parsed
# definitions are cached by their stored text (never by id alone: one process may
# hold several databases, e.g. tests on both backends, with the same survey ids).
_DEFINITIONS: dict[str, SurveyDefinition] = {}
_CACHE_LIMIT = 512


def definition_of(database: Database, survey_id: str, version: int) -> SurveyDefinition | None:
    text = database.scalar(
        "SELECT CAST(definition AS TEXT) FROM survey_versions WHERE survey_id = ? AND version = ?",
        [survey_id, version],
    )
    return None if text is None else _parsed(str(text))


def _parsed(text: str) -> SurveyDefinition:
    found = _DEFINITIONS.get(text)
    if found is None:
        if len(_DEFINITIONS) >= _CACHE_LIMIT:
            _DEFINITIONS.clear()
        found = _DEFINITIONS[text] = parse_definition(orjson.loads(text))
    return found


def _survey(row: tuple[Any, ...]) -> Survey:
    survey_id, name, status, version, created_at, updated_at, text = row
    return Survey(survey_id, name, status, int(version), _parsed(text), created_at, updated_at)


# One query for the survey and its current definition (a response is accepted per call).
_SELECT = (
    "SELECT s.survey_id, s.name, s.status, s.current_version, s.created_at, s.updated_at, "
    "CAST(v.definition AS TEXT) FROM surveys s JOIN survey_versions v "
    "ON v.survey_id = s.survey_id AND v.version = s.current_version"
)


def get_survey(database: Database, survey_id: str) -> Survey | None:
    rows = database.query(f"{_SELECT} WHERE s.survey_id = ?", [survey_id])
    return _survey(rows[0]) if rows else None


def list_surveys(database: Database, *, include_archived: bool = True) -> list[Survey]:
    where = "" if include_archived else "WHERE s.status <> 'archived'"
    rows = database.query(f"{_SELECT} {where} ORDER BY s.created_at, s.survey_id")
    return [_survey(row) for row in rows]


def require_survey(database: Database, survey_id: str) -> Survey:
    survey = get_survey(database, survey_id)
    if survey is None:
        raise SurveyError("survey_id", f"no survey {survey_id!r}", 404)
    return survey
