"""Closed-loop cases: a follow-up with an owner, status, due time (SLA), notes, outcome.

Cases from survey answers are written in the same transaction as the response
(``insert_case``), so one exists the moment the response is acknowledged; the
owner's alert goes out after the commit (``cxm.voc.alerts``). ``open_case`` is the
entry point for other stages (engage's "create a follow-up case" action) and for
manual cases.
"""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from cxm.store import Database, Transaction
from cxm.voc.model import SurveyError

CASE_STATUSES = ("open", "in_progress", "closed")
MAX_NOTE = 4000
DEFAULT_SLA_HOURS = 48.0


@dataclass(frozen=True)
class Case:
    case_id: str
    profile_id: str | None
    response_id: str | None
    survey_id: str | None
    reason: str
    owner: str | None
    status: str
    created_at: datetime
    due_at: datetime | None
    closed_at: datetime | None
    outcome: str | None
    touchpoint: str | None
    source: str | None

    @property
    def within_sla(self) -> bool | None:
        """Closed by its due time (None while open or without a due time)."""
        if self.closed_at is None or self.due_at is None:
            return None
        return self.closed_at <= self.due_at

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        for key in ("created_at", "due_at", "closed_at"):
            data[key] = data[key].isoformat() if data[key] else None
        data["within_sla"] = self.within_sla
        return data


@dataclass(frozen=True)
class Note:
    note_id: str
    case_id: str
    author: str
    note: str
    created_at: datetime


_COLUMNS = (
    "case_id, profile_id, response_id, survey_id, reason, owner, status, created_at, due_at, "
    "closed_at, outcome, touchpoint, source"
)


def _case(row: tuple[Any, ...]) -> Case:
    return Case(*row)


def new_case(
    *,
    profile_id: str | None,
    reason: str,
    source: str,
    response_id: str | None = None,
    survey_id: str | None = None,
    owner: str | None = None,
    touchpoint: str | None = None,
    sla_hours: float = DEFAULT_SLA_HOURS,
    now: datetime | None = None,
) -> Case:
    if not reason or not isinstance(reason, str):
        raise SurveyError("reason", "a non-empty text (detractor, low_csat, manual, ...)")
    now = now or datetime.now(UTC)
    return Case(
        case_id=f"case-{uuid.uuid4().hex[:12]}",
        profile_id=profile_id,
        response_id=response_id,
        survey_id=survey_id,
        reason=reason,
        owner=owner,
        status="open",
        created_at=now,
        due_at=now + timedelta(hours=sla_hours),
        closed_at=None,
        outcome=None,
        touchpoint=touchpoint,
        source=source,
    )


def insert_case(tx: Transaction | Database, case: Case) -> None:
    tx.execute(
        f"INSERT INTO cases ({_COLUMNS}, updated_at) VALUES ({', '.join(['?'] * 14)})",
        [*asdict(case).values(), case.created_at],
    )


def _add_note(tx: Transaction | Database, case: Case, author: str, note: str) -> None:
    if not note.strip():
        raise SurveyError("note", "must not be empty")
    if len(note) > MAX_NOTE:
        raise SurveyError("note", f"longer than {MAX_NOTE} characters")
    tx.execute(
        "INSERT INTO case_notes (note_id, case_id, profile_id, author, note, created_at) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        [
            f"note-{uuid.uuid4().hex[:12]}",
            case.case_id,
            case.profile_id,
            author,
            note,
            datetime.now(UTC),
        ],
    )


def open_case(
    database: Database,
    *,
    profile_id: str,
    reason: str,
    source: str,
    response_id: str | None = None,
    survey_id: str | None = None,
    owner: str | None = None,
    note: str | None = None,
    sla_hours: float = DEFAULT_SLA_HOURS,
    touchpoint: str | None = None,
) -> Case:
    """Open a follow-up case for a person (any identifier; merged ids followed)."""
    from cxm.identity import find_profile_id
    from cxm.voc.config import voc_settings

    resolved = find_profile_id(database, profile_id)
    if resolved is None:
        raise SurveyError("profile_id", f"no profile is known by {profile_id!r}", 404)
    case = new_case(
        profile_id=resolved,
        reason=reason,
        source=source,
        response_id=response_id,
        survey_id=survey_id,
        owner=owner or voc_settings().default_owner,
        touchpoint=touchpoint,
        sla_hours=sla_hours,
    )
    with database.transaction() as tx:
        insert_case(tx, case)
        if note:
            _add_note(tx, case, source, note)
    return case


def get_case(database: Database, case_id: str) -> Case | None:
    rows = database.query(f"SELECT {_COLUMNS} FROM cases WHERE case_id = ?", [case_id])
    return _case(rows[0]) if rows else None


def list_cases(
    database: Database,
    *,
    status: str | None = None,
    owner: str | None = None,
    profile_id: str | None = None,
    survey_id: str | None = None,
    limit: int = 200,
) -> list[Case]:
    if status is not None and status not in CASE_STATUSES:
        raise SurveyError("status", f"one of {', '.join(CASE_STATUSES)}")
    conditions, params = [], []
    for column, value in (
        ("status", status),
        ("owner", owner),
        ("profile_id", profile_id),
        ("survey_id", survey_id),
    ):
        if value:
            conditions.append(f"{column} = ?")
            params.append(value)
    where = f"WHERE {' AND '.join(conditions)}" if conditions else ""
    rows = database.query(
        f"SELECT {_COLUMNS} FROM cases {where} ORDER BY created_at DESC, case_id LIMIT ?",
        [*params, limit],
    )
    return [_case(row) for row in rows]


def case_notes(database: Database, case_id: str) -> list[Note]:
    rows = database.query(
        "SELECT note_id, case_id, author, note, created_at FROM case_notes "
        "WHERE case_id = ? ORDER BY created_at, note_id",
        [case_id],
    )
    return [Note(*row) for row in rows]


def update_case(
    database: Database,
    case_id: str,
    *,
    author: str,
    status: str | None = None,
    owner: str | None = None,
    outcome: str | None = None,
    note: str | None = None,
) -> Case:
    """Change status/owner, record the outcome, add a note; closing stamps ``closed_at``."""
    case = get_case(database, case_id)
    if case is None:
        raise SurveyError("case_id", f"no case {case_id!r}", 404)
    if status is not None and status not in CASE_STATUSES:
        raise SurveyError("status", f"one of {', '.join(CASE_STATUSES)}")
    if outcome is not None and len(outcome) > MAX_NOTE:
        raise SurveyError("outcome", f"longer than {MAX_NOTE} characters")
    now = datetime.now(UTC)
    new_status = status or case.status
    closed_at = case.closed_at
    if new_status == "closed" and closed_at is None:
        closed_at = now
    elif new_status != "closed":
        closed_at = None
    with database.transaction() as tx:
        tx.execute(
            "UPDATE cases SET status = ?, owner = ?, outcome = ?, closed_at = ?, updated_at = ? "
            "WHERE case_id = ?",
            [
                new_status,
                owner if owner else case.owner,
                outcome if outcome is not None else case.outcome,
                closed_at,
                now,
                case_id,
            ],
        )
        if note:
            _add_note(tx, case, author, note)
    updated = get_case(database, case_id)
    assert updated is not None
    return updated


@dataclass(frozen=True)
class SlaReport:
    total: int
    open: int
    closed: int
    closed_within_sla: int
    overdue_open: int

    @property
    def share_within_sla(self) -> float | None:
        """Loops closed within SLA ÷ loops closed (None before any is closed)."""
        return self.closed_within_sla / self.closed if self.closed else None

    def as_json(self) -> dict[str, Any]:
        return {**asdict(self), "share_within_sla": self.share_within_sla}


def sla_report(database: Database, *, survey_id: str | None = None) -> SlaReport:
    where, params = ("WHERE survey_id = ?", [survey_id]) if survey_id else ("", [])
    row = database.query(
        "SELECT count(*), "
        "sum(CASE WHEN status <> 'closed' THEN 1 ELSE 0 END), "
        "sum(CASE WHEN status = 'closed' THEN 1 ELSE 0 END), "
        "sum(CASE WHEN status = 'closed' AND closed_at <= due_at THEN 1 ELSE 0 END), "
        "sum(CASE WHEN status <> 'closed' AND due_at < ? THEN 1 ELSE 0 END) "
        f"FROM cases {where}",
        [datetime.now(UTC), *params],
    )[0]
    return SlaReport(*(int(v or 0) for v in row))
