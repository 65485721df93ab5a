from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cxm.cli.main import app
from cxm.settings import get_settings

runner = CliRunner()


@pytest.fixture
def cli_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    url = f"duckdb:///{tmp_path / 'cli.duckdb'}"
    monkeypatch.setenv("CXM_DATABASE_URL", url)
    get_settings.cache_clear()
    yield url
    get_settings.cache_clear()


def test_sources_add_prints_write_key_and_rejects_duplicates(cli_database: str) -> None:
    first = runner.invoke(app, ["sources", "add", "website", "--channel", "web"])
    assert first.exit_code == 0, first.output
    assert "write key:" in first.output
    again = runner.invoke(app, ["sources", "add", "website"])
    assert again.exit_code == 2
    assert "name" in again.output and "exists already" in again.output
    listed = runner.invoke(app, ["sources", "list"])
    assert "website" in listed.output


def test_sources_add_with_unknown_channel_names_the_option(cli_database: str) -> None:
    result = runner.invoke(app, ["sources", "add", "x", "--channel", "carrier-pigeon"])
    assert result.exit_code == 2
    assert "channel" in result.output


def test_sessions_build_and_quarantine_commands_run(cli_database: str) -> None:
    built = runner.invoke(app, ["sessions", "build"])
    assert built.exit_code == 0, built.output
    assert "sessions for" in built.output
    listed = runner.invoke(app, ["quarantine", "list"])
    assert listed.exit_code == 0 and "0 row(s)" in listed.output
    replayed = runner.invoke(app, ["quarantine", "replay"])
    assert replayed.exit_code == 0 and "replayed 0" in replayed.output
