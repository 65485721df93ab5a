"""Parse one field of an imported row, or raise ``RowError`` naming the field.

Values arrive as CSV text, JSON values or Parquet-typed values; each parser
accepts all three so the importers need not care which format a row came from.
"""

from __future__ import annotations

import math
from datetime import UTC, date, datetime
from typing import Any

import orjson


class RowError(ValueError):
    """A row that cannot be imported: which field, and why."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


def present(value: Any) -> bool:
    return value is not None and not (isinstance(value, str) and value.strip() == "")


def text(row: dict[str, Any], field: str, *, required: bool = False) -> str | None:
    value = row.get(field)
    if not present(value):
        if required:
            raise RowError(field, "is required and missing or empty")
        return None
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, dict | list):
        return orjson.dumps(value).decode()
    if isinstance(value, float) and value.is_integer():
        # Parquet/JSON may carry ids and postcodes as numbers: 1234.0 means "1234".
        return str(int(value))
    return str(value).strip()


def timestamp(row: dict[str, Any], field: str, *, required: bool = False) -> datetime | None:
    """ISO 8601 text (naive means UTC), or a datetime/date value, as an aware UTC datetime."""
    value = row.get(field)
    if not present(value):
        if required:
            raise RowError(field, "is required and missing or empty")
        return None
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, date):
        parsed = datetime(value.year, value.month, value.day)
    elif isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.strip())
        except ValueError:
            raise RowError(field, f"{value!r} is not an ISO 8601 timestamp") from None
    else:
        raise RowError(field, f"{value!r} is not an ISO 8601 timestamp")
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def number(
    row: dict[str, Any],
    field: str,
    *,
    required: bool = False,
    minimum: float | None = None,
    maximum: float | None = None,
) -> float | None:
    value: Any = row.get(field)
    if not present(value):
        if required:
            raise RowError(field, "is required and missing or empty")
        return None
    if isinstance(value, bool):
        raise RowError(field, f"{value!r} is not a number")
    try:
        parsed = float(value)
    except (TypeError, ValueError):
        raise RowError(field, f"{value!r} is not a number") from None
    if not math.isfinite(parsed):
        raise RowError(field, f"{value!r} is not a finite number")
    if minimum is not None and parsed < minimum:
        raise RowError(field, f"{value!r} is below the minimum {minimum:g}")
    if maximum is not None and parsed > maximum:
        raise RowError(field, f"{value!r} is above the maximum {maximum:g}")
    return parsed


def integer(
    row: dict[str, Any],
    field: str,
    *,
    minimum: int | None = None,
    maximum: int | None = None,
) -> int | None:
    parsed = number(row, field, minimum=minimum, maximum=maximum)
    if parsed is None:
        return None
    if not parsed.is_integer():
        raise RowError(field, f"{row.get(field)!r} is not a whole number")
    return int(parsed)


_TRUE = {"true", "t", "yes", "y", "1"}
_FALSE = {"false", "f", "no", "n", "0"}


def boolean(row: dict[str, Any], field: str) -> bool | None:
    value = row.get(field)
    if not present(value):
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float) and value in (0, 1):
        return bool(value)
    lowered = str(value).strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise RowError(field, f"{value!r} is not a boolean (true/false, yes/no, 1/0)")


def json_value(row: dict[str, Any], field: str) -> Any:
    """A JSON value: already structured (JSONL/Parquet) or JSON text (CSV)."""
    value = row.get(field)
    if not present(value):
        return None
    if isinstance(value, str):
        try:
            return orjson.loads(value)
        except orjson.JSONDecodeError as error:
            raise RowError(field, f"is not valid JSON ({error})") from None
    return value


def jsonable(value: Any) -> Any:
    """Make a Parquet/JSON value storable as JSON (dates as ISO text)."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def dumps(value: Any) -> str:
    return orjson.dumps(jsonable(value)).decode()
