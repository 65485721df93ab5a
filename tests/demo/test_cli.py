from __future__ import annotations

from pathlib import Path

import pytest

from cxm.store import open_database
from tests.support.cli import cxm


def test_cxm_demo_small_no_serve_loads_and_summarises(database_file: Path, tmp_path: Path) -> None:
    data = tmp_path / "data"
    code, output = cxm("demo", "--size", "small", "--no-serve", "--data-dir", str(data))
    assert code == 0, output
    assert "generated in" in output and "rows per table" in output
    database = open_database(f"duckdb:///{database_file}")
    try:
        assert database.scalar("SELECT count(*) FROM events") > 20_000
        assert database.scalar("SELECT count(*) FROM customer_records") > 500
    finally:
        database.close()
    code, output = cxm("demo", "--size", "small", "--no-serve", "--data-dir", str(data))
    assert code == 0, output
    assert "reusing" in output


@pytest.mark.parametrize(
    ("args", "message"),
    [(["--size", "huge"], "--size"), (["--customers", "3"], "--customers")],
)
def test_cxm_demo_rejects_bad_options(
    database_file: Path, tmp_path: Path, args: list[str], message: str
) -> None:
    code, output = cxm("demo", "--no-serve", "--data-dir", str(tmp_path), *args)
    assert code == 2
    assert message in output
