"""The stored secrets: one value per name, also when many threads ask first at once."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from cxm.auth.keyring import stored_secret
from cxm.store import Database


def test_concurrent_first_use_gets_one_secret(database: Database) -> None:
    with ThreadPoolExecutor(max_workers=16) as pool:
        values = list(pool.map(lambda _: stored_secret(database, "race-test"), range(64)))
    assert len(set(values)) == 1
    assert database.scalar("SELECT count(*) FROM auth_secrets WHERE name = 'race-test'") == 1
    assert database.scalar("SELECT value FROM auth_secrets WHERE name = 'race-test'") == values[0]
