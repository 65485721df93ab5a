"""Fitted models in the ``predict_models`` table (BLOB on DuckDB, BYTEA on PostgreSQL).

A row holds a kind (``clv``, ``churn``, ``lead``, ``score_run``), a version, the
settings it was trained with, its evaluation report (JSON) and the estimator as a
pickle. Pickles execute code when loaded, so this table must only ever be written
by CXM itself — the same trust as the database it lives in; nothing reads a model
from a file or the network.
"""

from __future__ import annotations

import hashlib
import pickle
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson

from cxm.store import Database


@dataclass(frozen=True)
class StoredModel:
    model_id: str
    kind: str
    version: str
    created_at: datetime
    settings: dict[str, Any]
    report: dict[str, Any]
    payload: Any  # the unpickled object, or None


def new_version(kind: str, content: bytes) -> str:
    """``<kind>-YYYYmmddTHHMMSSffffff-<6 hex of the content>``: sortable, content-tied,
    and unique for two runs in the same second (a rescore right after a scheduled one)."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
    return f"{kind}-{stamp}-{hashlib.sha256(content).hexdigest()[:6]}"


def _json(value: Any) -> str:
    return orjson.dumps(value, option=orjson.OPT_SERIALIZE_NUMPY, default=str).decode()


def save_model(
    database: Database,
    kind: str,
    settings: dict[str, Any],
    report: dict[str, Any],
    payload: Any = None,
) -> StoredModel:
    blob = pickle.dumps(payload, protocol=pickle.HIGHEST_PROTOCOL) if payload is not None else None
    version = new_version(kind, (blob or b"") + _json(report).encode())
    created = datetime.now(UTC)
    database.execute(
        "INSERT INTO predict_models (model_id, kind, version, created_at, settings, report, "
        "payload) VALUES (?, ?, ?, ?, ?, ?, ?)",
        [version, kind, version, created, _json(settings), _json(report), blob],
    )
    return StoredModel(version, kind, version, created, settings, report, payload)


def _load(value: Any) -> Any:
    if value is None:
        return {}
    if isinstance(value, (dict, list)):
        return value
    return orjson.loads(value)


def latest_model(database: Database, kind: str, with_payload: bool = True) -> StoredModel | None:
    """The newest model of a kind, or None."""
    if "predict_models" not in database.table_names():
        return None
    column = "payload" if with_payload else "NULL"
    rows = database.query(
        f"SELECT model_id, kind, version, created_at, settings, report, {column} "
        "FROM predict_models WHERE kind = ? ORDER BY created_at DESC, model_id DESC LIMIT 1",
        [kind],
    )
    if not rows:
        return None
    model_id, kind_, version, created, settings, report, blob = rows[0]
    payload = pickle.loads(bytes(blob)) if blob is not None else None  # own table, see above
    return StoredModel(model_id, kind_, version, created, _load(settings), _load(report), payload)


def model_history(database: Database, kind: str, limit: int = 20) -> list[dict[str, Any]]:
    rows = database.query(
        "SELECT version, created_at, report FROM predict_models WHERE kind = ? "
        "ORDER BY created_at DESC LIMIT ?",
        [kind, limit],
    )
    return [{"version": v, "created_at": c, "report": _load(r)} for v, c, r in rows]
