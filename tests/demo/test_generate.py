from __future__ import annotations

from pathlib import Path

import pytest

from cxm.demo.config import DemoConfig
from cxm.demo.files import DemoFiles
from cxm.demo.generate import ensure_generated, generate
from tests.demo.conftest import SMALL, file_names, read_events


def test_generate_same_seed_gives_identical_files(small_files: DemoFiles, tmp_path: Path) -> None:
    again = generate(SMALL, tmp_path / "again")
    names = file_names(small_files.directory)
    assert names == file_names(again.directory)
    assert "events_web.parquet" in names and "truth/persons.csv" in names
    for name in names:
        first = (small_files.directory / name).read_bytes()
        assert first == (again.directory / name).read_bytes(), name


def test_generate_other_seed_gives_other_data(small_files: DemoFiles, tmp_path: Path) -> None:
    other = generate(DemoConfig.of_size("small", seed=8), tmp_path / "other")
    for name in ("customers_crm.csv", "events_web.parquet", "reviews.jsonl"):
        assert other.path(name).read_bytes() != small_files.path(name).read_bytes()


def test_generate_meets_requested_sizes(small_files: DemoFiles) -> None:
    assert small_files.truth["truth/persons.csv"] == SMALL.customers
    events = read_events(small_files)
    assert events.num_rows == small_files.rows("events") >= SMALL.events
    assert events.num_rows < SMALL.events * 1.01  # whole sessions overshoot only slightly
    assert len(set(events.column("message_id").to_pylist())) == events.num_rows
    assert small_files.rows("orders") > SMALL.customers * 0.5
    assert small_files.rows("tickets") > 0 and small_files.rows("reviews") > 0


def test_ensure_generated_reuses_matching_files(tmp_path: Path) -> None:
    config = DemoConfig(customers=60, events=2_000, seed=3)
    first, reused_first = ensure_generated(config, tmp_path)
    stamp = first.path("events_web.parquet").stat().st_mtime_ns
    second, reused_second = ensure_generated(config, tmp_path)
    assert (reused_first, reused_second) == (False, True)
    assert second.imports == first.imports
    assert second.path("events_web.parquet").stat().st_mtime_ns == stamp


def test_ensure_generated_replaces_a_partial_directory(tmp_path: Path) -> None:
    config = DemoConfig(customers=60, events=2_000, seed=4)
    partial = tmp_path / (config.directory_name() + ".partial")
    partial.mkdir()
    (partial / "events_web.parquet").write_bytes(b"half")
    files, reused = ensure_generated(config, tmp_path)
    assert not reused and not partial.exists()
    assert files.path("events_web.parquet").read_bytes()[:4] == b"PAR1"


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [({"customers": 10}, "customers"), ({"events": 10}, "events"), ({"days": 30}, "days")],
)
def test_demo_config_rejects_too_small_values(kwargs: dict[str, int], field: str) -> None:
    with pytest.raises(ValueError, match=rf"^{field}:"):
        DemoConfig(**kwargs)  # type: ignore[arg-type]


def test_demo_config_rejects_unknown_size() -> None:
    with pytest.raises(ValueError, match=r"^size:"):
        DemoConfig.of_size("huge")  # type: ignore[arg-type]
