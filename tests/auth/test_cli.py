"""`cxm users`, `cxm keys`, `cxm audit` and `cxm privacy` against a DuckDB file."""

from __future__ import annotations

import json
from pathlib import Path

from cxm.auth import check_password, resolve_api_key
from cxm.store import open_database
from tests.privacy.people import ANA_VALUES, load_people, scan
from tests.support.cli import cxm


def test_users_add_prints_a_working_one_time_password(database_file: Path) -> None:
    code, output = cxm("users", "add", "li", "--role", "service")
    assert code == 0, output
    password = output.split("password (shown once): ")[1].split()[0]
    assert "/login/link/" in output
    database = open_database(f"duckdb:///{database_file}")
    try:
        user = check_password(database, "li", password)
        assert user is not None and user.role == "service"
    finally:
        database.close()


def test_users_add_unknown_role_fails_naming_the_field(database_file: Path) -> None:
    code, output = cxm("users", "add", "li", "--role", "intern")
    assert code == 2
    assert "role:" in output and "'intern'" in output


def test_keys_create_prints_a_key_that_resolves_with_its_scopes(database_file: Path) -> None:
    code, output = cxm("keys", "create", "--scope", "profiles:read,privacy:export")
    assert code == 0, output
    plaintext = next(word for word in output.split() if word.startswith("cxmk_"))
    database = open_database(f"duckdb:///{database_file}")
    try:
        key = resolve_api_key(database, plaintext)
        assert key is not None and key.scopes == {"profiles:read", "privacy:export"}
    finally:
        database.close()
    code, output = cxm("keys", "create", "--scope", "events:write")
    assert code == 2 and "scope:" in output


def test_privacy_export_erase_and_audit_list(database_file: Path, tmp_path: Path) -> None:
    database = open_database(f"duckdb:///{database_file}")
    load_people(database)
    database.close()
    out = tmp_path / "ana.json"
    code, output = cxm("privacy", "export", "ana.lopez@example.de", "--out", str(out))
    assert code == 0, output
    assert json.loads(out.read_text())["counts"]["events"] == 4
    code, output = cxm("privacy", "erase", "ana.lopez@example.de", "--yes")
    assert code == 0, output
    assert "erase receipt" in output and "rows deleted in one transaction" in output
    code, output = cxm("privacy", "erase", "ana.lopez@example.de", "--yes")
    assert code == 1 and "identifier: no data is held" in output
    code, output = cxm("audit", "list", "--action", "privacy.erase")
    assert code == 0 and "not_found" in output and "ok" in output
    database = open_database(f"duckdb:///{database_file}")
    try:
        assert scan(database, list(ANA_VALUES)) == {value: [] for value in ANA_VALUES}
    finally:
        database.close()
