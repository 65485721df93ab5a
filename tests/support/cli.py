"""Run `cxm` commands in-process against a DuckDB file of the test's own."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cxm.cli.main import app
from cxm.settings import get_settings


@pytest.fixture
def database_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Point CXM_DATABASE_URL at a fresh DuckDB file for the CLI under test."""
    path = tmp_path / "cli.duckdb"
    monkeypatch.setenv("CXM_DATABASE_URL", f"duckdb:///{path}")
    get_settings.cache_clear()
    yield path
    get_settings.cache_clear()


def cxm(*args: str) -> tuple[int, str]:
    """Exit code and output; Rich wraps long lines, so words are compared, not layout."""
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, " ".join(result.output.split())
