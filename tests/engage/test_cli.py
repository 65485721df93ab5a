"""``cxm segments`` and ``cxm engage`` commands against a DuckDB file."""

from __future__ import annotations

import json
from pathlib import Path

from cxm.store import open_database
from tests.engage.people import add_event, add_profile, grant
from tests.support.cli import cxm


def test_segment_and_journey_commands(database_file: Path, tmp_path: Path) -> None:
    database = open_database(f"duckdb:///{database_file}")
    add_profile(database, "p1", country="DE")
    add_profile(database, "p2", country="GB")
    grant(database, "p1", "marketing")
    add_event(database, "p1", "Order Completed")
    database.close()

    code, out = cxm(
        "segments", "create", "de", "--conditions", '{"trait": "country", "value": "DE"}'
    )
    assert code == 0 and "1 members" in out
    code, out = cxm("segments", "create", "bad", "--conditions", '{"and": [{"event": 1}]}')
    assert code == 2 and "conditions.and[0].event" in out
    code, out = cxm("segments", "create", "bad", "--conditions", "{nope")
    assert code == 2 and "--conditions" in out
    code, out = cxm("segments", "list")
    assert code == 0 and "de" in out
    code, out = cxm("segments", "recompute")
    assert code == 0 and "1 members (+0 −0)" in out
    target = tmp_path / "de.csv"
    code, out = cxm("segments", "export", "de", "--out", str(target))
    assert code == 0 and target.read_text().splitlines()[1].startswith("p1,")

    definition = tmp_path / "journey.json"
    definition.write_text(
        json.dumps(
            {
                "trigger": {"segment": "de"},
                "goal": {"event": "Order Completed", "within_hours": 48},
                "steps": [{"type": "action", "action": "set_trait", "traits": {"vip": True}}],
            }
        )
    )
    code, out = cxm("engage", "journeys", "create", "vip", "--file", str(definition))
    assert code == 0 and "(draft)" in out
    code, out = cxm("engage", "journeys", "create", "x", "--definition", '{"trigger": {}}')
    assert code == 2 and "definition.trigger" in out
    code, out = cxm("engage", "journeys", "activate", "vip")
    assert code == 0 and "vip: active" in out
    code, out = cxm("engage", "journeys", "list")
    assert code == 0 and "segment de" in out
    code, out = cxm("engage", "journeys", "report", "nope")
    assert code == 1 and "journey" in out
    code, out = cxm("engage", "dispatch")
    assert code == 0 and "nothing due" in out
    code, out = cxm("engage", "journeys", "report", "vip", "--json")
    assert code == 0 and json.loads(out)["name"] == "vip"
