from __future__ import annotations

import pytest

from cxm.settings import Settings


def test_every_setting_is_documented() -> None:
    undocumented = [n for n, f in Settings.model_fields.items() if not f.description]
    assert undocumented == []


def test_settings_read_cxm_environment_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CXM_DATABASE_URL", "postgresql://x@h/db")
    monkeypatch.setenv("CXM_PORT", "9100")
    settings = Settings()
    assert (settings.database_url, settings.port) == ("postgresql://x@h/db", 9100)


def test_default_database_is_an_embedded_duckdb_file() -> None:
    assert Settings().database_url.startswith("duckdb:///")
