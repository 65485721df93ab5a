"""Any package's bad-input error reaches the user as field + reason, never a 500 or a
traceback, even where a route or command did not translate it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from fastapi.testclient import TestClient

from cxm.api.app import create_app
from cxm.identity import IdentityError
from cxm.privacy.consent import ConsentError
from cxm.settings import get_settings


def test_uncaught_field_errors_become_4xx_json(tmp_path: Path) -> None:
    settings = get_settings().model_copy(
        update={"database_url": f"duckdb:///{tmp_path / 'cxm.duckdb'}"}
    )
    app = create_app(settings)

    @app.get("/test-missing")
    def missing() -> None:
        raise IdentityError("merge_id", "no merge 'x'", status=404)

    @app.get("/test-consent")
    def consent() -> None:
        raise ConsentError("purpose", "unknown purpose 'spam'")

    with TestClient(app) as client:
        response = client.get("/test-missing")
        assert response.status_code == 404
        assert response.json() == {
            "error": "not_found",
            "field": "merge_id",
            "reason": "no merge 'x'",
        }
        response = client.get("/test-consent")
        assert response.status_code == 400
        assert response.json()["field"] == "purpose"


def test_uncaught_field_error_in_a_command_is_a_message_and_exit_2() -> None:
    script = (
        "import sys\n"
        "from cxm.cli.main import app, main\n"
        "from cxm.collect.sources import SourceError\n"
        "@app.command('boom')\n"
        "def boom() -> None:\n"
        "    raise SourceError('name', 'is taken')\n"
        "sys.argv = ['cxm', 'boom']\n"
        "main()\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 2
    assert "name: is taken" in done.stderr
    assert "Traceback" not in done.stderr
