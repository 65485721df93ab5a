from __future__ import annotations

from pathlib import Path

from tests.support.cli import cxm


def test_sources_add_prints_write_key_and_rejects_duplicates(database_file: Path) -> None:
    code, output = cxm("sources", "add", "website", "--channel", "web")
    assert code == 0, output
    assert "write key:" in output
    code, output = cxm("sources", "add", "website")
    assert code == 2
    assert "name" in output and "exists already" in output
    assert "website" in cxm("sources", "list")[1]


def test_sources_add_with_unknown_channel_names_the_option(database_file: Path) -> None:
    code, output = cxm("sources", "add", "x", "--channel", "carrier-pigeon")
    assert code == 2
    assert "channel" in output


def test_sessions_build_and_quarantine_commands_run(database_file: Path) -> None:
    code, output = cxm("sessions", "build")
    assert code == 0 and "sessions for" in output, output
    code, output = cxm("quarantine", "list")
    assert code == 0 and "0 row(s)" in output
    code, output = cxm("quarantine", "replay")
    assert code == 0 and "replayed 0" in output
