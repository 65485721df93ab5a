"""Service blueprint: which back-stage team and process serve each touchpoint, and
how that process performs (operational KPIs from the metrics catalogue).

The mapping is configuration (``blueprint.json`` in this package, or any JSON file
of the same shape: ``{touchpoint: {team, process, kpis: [kpi ids]}}``). The KPI
values come from ``cxm.metrics.catalogue`` broken down by channel, so a KPI is
defined once for the whole product; a KPI the catalogue cannot compute (no tickets,
no surveys) is shown as missing, not as zero.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from cxm.journeys.errors import JourneyQueryError
from cxm.store import Database

BLUEPRINT_FILE = Path(__file__).with_name("blueprint.json")


@dataclass(frozen=True)
class KpiCell:
    kpi: str
    name: str
    unit: str
    value: float | None
    n: int | None


@dataclass(frozen=True)
class BlueprintRow:
    touchpoint: str
    team: str
    process: str
    kpis: tuple[KpiCell, ...]


def load_blueprint(path: str | Path | None = None) -> dict[str, dict[str, Any]]:
    source = Path(path) if path else BLUEPRINT_FILE
    try:
        spec = json.loads(source.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise JourneyQueryError("blueprint", f"cannot read {source}: {error}") from None
    if not isinstance(spec, dict):
        raise JourneyQueryError("blueprint", "expected an object keyed by touchpoint")
    for touchpoint, entry in spec.items():
        if not isinstance(entry, dict) or not {"team", "process"} <= set(entry):
            raise JourneyQueryError("blueprint", f"{touchpoint}: needs team and process")
        if not isinstance(entry.get("kpis", []), list):
            raise JourneyQueryError("blueprint", f"{touchpoint}.kpis: expected a list")
    return spec


def _kpi_by_channel(
    database: Database, kpi_id: str, days: int
) -> tuple[str, str, dict[str, tuple[float | None, int | None]]]:
    """One catalogue KPI broken down by channel over the last ``days`` of data."""
    from cxm.metrics.catalogue import default_period, get, report
    from cxm.metrics.query import KpiQuery

    kpi = get(kpi_id)
    start, end = default_period(database, days)
    # A whole year of history on a coarse grain: the blueprint shows levels, not trends.
    start = max(start, end - timedelta(days=days))
    data = report(database, kpi_id, KpiQuery(start, end, grain="month", by="channel")).as_dict()
    values: dict[str, tuple[float | None, int | None]] = {}
    for group in data.get("breakdown", []):
        values[str(group["group"])] = (group.get("value"), group.get("n"))
    return kpi.name, kpi.unit, values


def service_blueprint(
    database: Database, path: str | Path | None = None, days: int = 365
) -> tuple[BlueprintRow, ...]:
    spec = load_blueprint(path)
    wanted = sorted({k for entry in spec.values() for k in entry.get("kpis", [])})
    by_kpi: dict[str, tuple[str, str, dict[str, tuple[float | None, int | None]]]] = {}
    for kpi_id in wanted:
        try:
            by_kpi[kpi_id] = _kpi_by_channel(database, kpi_id, days)
        except Exception:
            by_kpi[kpi_id] = (kpi_id, "", {})
    rows = []
    for touchpoint, entry in spec.items():
        cells = []
        for kpi_id in entry.get("kpis", []):
            name, unit, values = by_kpi[kpi_id]
            value, n = values.get(touchpoint, (None, None))
            cells.append(KpiCell(kpi_id, name, unit, value, n))
        rows.append(
            BlueprintRow(touchpoint, str(entry["team"]), str(entry["process"]), tuple(cells))
        )
    return tuple(rows)
