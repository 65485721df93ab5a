"""The demo stage: consent for a quarter of loyalty members, a served model, idempotent."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from cxm.demo import stage_recommend
from cxm.demo.files import DemoFiles
from cxm.recommend.storage import load_model
from cxm.store import Database
from tests.recommend.shop import build_shop


@pytest.mark.backends("duckdb")
def test_stage_grants_consent_and_trains(database: Database, tmp_path: Path) -> None:
    build_shop(database)
    now = datetime.now(UTC)
    for n in range(1, 5):
        database.execute(
            "INSERT INTO identifiers (id_type, id_value, profile_id, first_seen_at, last_seen_at) "
            "VALUES ('record:loyalty', ?, ?, ?, ?)",
            [f"L-{n}", f"p-a{n}", now, now],
        )
    files = DemoFiles.__new__(DemoFiles)  # the stage reads the database, not the files
    said: list[str] = []
    summary = stage_recommend.run(database, files, said.append)
    assert "8 items" in summary and "consent for 1 loyalty members" in summary
    assert load_model(database) is not None and said
    granted = database.query(
        "SELECT profile_id, identifier, status FROM consent_ledger "
        "WHERE purpose = 'personalisation'"
    )
    assert granted == [("p-a1", "record:loyalty:L-1", "granted")]
    stage_recommend.run(database, files, said.append)
    assert database.scalar("SELECT count(*) FROM consent_ledger") == 1
