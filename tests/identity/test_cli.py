"""`cxm identity resolve` and `cxm export links` end to end on a DuckDB file."""

from __future__ import annotations

import csv
from pathlib import Path

from tests.support.cli import cxm


def _write(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def test_cli_resolve_then_export_links_one_row_per_record(
    database_file: Path, tmp_path: Path
) -> None:
    crm = _write(tmp_path / "crm.csv", [
        {"crm_id": "C1", "first": "Ana", "last": "Silva", "email": "ana@x.de"},
        {"crm_id": "C2", "first": "Ben", "last": "Weber", "email": "ben@x.de"},
    ])  # fmt: skip
    shop = _write(tmp_path / "shop.csv", [
        {"no": "9", "first": "Ana", "last": "Silva", "mail": "ANA@x.de "},
    ])  # fmt: skip
    mapping = "first_name=first,last_name=last"
    assert cxm("import", "customers", str(crm), "--source", "crm", "--id-column", "crm_id",
               "--map", mapping)[0] == 0  # fmt: skip
    assert cxm("import", "customers", str(shop), "--source", "shop", "--id-column", "no",
               "--map", f"{mapping},email=mail")[0] == 0  # fmt: skip

    code, output = cxm("identity", "resolve")
    assert code == 0, output
    assert "3 customer records -> 2 profiles" in output

    out = tmp_path / "links.csv"
    code, output = cxm("export", "links", "--out", str(out))
    assert code == 0, output
    with out.open(encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == ["source", "record_id", "profile_id"]
    links = {(r[0], r[1]): r[2] for r in rows[1:]}
    assert set(links) == {("crm", "C1"), ("crm", "C2"), ("shop", "9")}
    assert links[("crm", "C1")] == links[("shop", "9")] != links[("crm", "C2")]
    assert all(links.values())


def test_cli_unmerge_unknown_merge_fails_naming_field(database_file: Path) -> None:
    code, output = cxm("identity", "unmerge", "nope")
    assert code == 2
    assert "merge_id: no merge 'nope'" in output
