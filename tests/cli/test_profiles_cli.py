"""cxm profiles show|search, cxm consent record|check|show and cxm privacy link."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

from typer.testing import CliRunner

from cxm.cli.main import app
from cxm.privacy.consent_links import read_link_token
from cxm.settings import get_settings
from cxm.store import open_database
from tests.profiles.people import NOW, add_order, add_profile, add_record
from tests.support.cli import cxm


def _seed(path: Path) -> None:
    database = open_database(f"duckdb:///{path}")
    add_profile(database, "p-ana", [("email", "ana@example.de"), ("record:crm", "CRM-1")])
    add_record(database, "p-ana", "crm", "CRM-1", first_name="Ana", last_name="Silva")
    add_order(database, "p-ana", "O-1", NOW - timedelta(days=3), 99.5)
    database.close()


def test_profiles_show_prints_panels_and_json(database_file: Path) -> None:
    _seed(database_file)
    code, output = cxm("profiles", "show", "ana@example.de")
    assert code == 0, output
    assert "Ana Silva" in output and "most trusted" in output and "Order O-1" in output
    result = CliRunner().invoke(app, ["profiles", "show", "record:crm:CRM-1", "--json"])
    assert result.exit_code == 0, result.output
    body = json.loads(result.output)
    assert body["profile_id"] == "p-ana" and body["value"]["order_count"] == 1


def test_profiles_show_unknown_person_fails_naming_identifier(database_file: Path) -> None:
    _seed(database_file)
    code, output = cxm("profiles", "show", "ghost@example.de")
    assert code == 1 and "identifier" in output and "no profile" in output


def test_profiles_search_lists_matches(database_file: Path) -> None:
    _seed(database_file)
    code, output = cxm("profiles", "search", "silva")
    assert code == 0 and "p-ana" in output
    assert cxm("profiles", "search", "x")[0] == 2
    assert cxm("profiles", "search", "nobody")[0] == 1


def test_consent_commands_record_check_show(database_file: Path) -> None:
    _seed(database_file)
    assert cxm("consent", "check", "p-ana", "marketing", "--channel", "email")[0] == 1
    code, output = cxm(
        "consent",
        "record",
        "ana@example.de",
        "marketing",
        "granted",
        "--channel",
        "email",
        "--source",
        "call-centre",
    )
    assert code == 0, output
    code, output = cxm("consent", "check", "p-ana", "marketing", "--channel", "email")
    assert code == 0 and "call-centre" in output
    code, output = cxm("consent", "record", "p-ana", "marketing", "granted", "--channel", "fax")
    assert code == 2 and "channel" in output
    code, output = cxm("consent", "show", "p-ana")
    assert code == 0 and "1 ledger entries" in output


def test_privacy_link_prints_a_working_signed_link(database_file: Path) -> None:
    _seed(database_file)
    result = CliRunner().invoke(
        app, ["privacy", "link", "ana@example.de", "--base-url", "https://cx.example"]
    )
    assert result.exit_code == 0, result.output
    link = result.output.split()[0]
    assert link.startswith("https://cx.example/preferences/")
    database = open_database(f"duckdb:///{database_file}")
    try:
        subject = read_link_token(database, link.rsplit("/", 1)[1], get_settings())
    finally:
        database.close()
    assert subject.profile_id == "p-ana"
    assert cxm("privacy", "link", "ghost@example.de")[0] == 1


def test_consent_adopt_reports_counts_and_unreadable_values(database_file: Path) -> None:
    database = open_database(f"duckdb:///{database_file}")
    add_profile(database, "p-1", [("record:crm", "C1")])
    add_record(database, "p-1", "crm", "C1", traits={"marketing_opt_in": "true"})
    add_profile(database, "p-2", [("record:crm", "C2")])
    add_record(database, "p-2", "crm", "C2", traits={"marketing_opt_in": "perhaps"})
    database.close()
    code, output = cxm("consent", "adopt", "crm", "marketing_opt_in")
    assert code == 1 and "1 granted" in output and "'perhaps' ×1" in output
    code, output = cxm("consent", "adopt", "crm", "marketing_opt_in", "--purpose", "spam")
    assert code == 2 and "purpose" in output
