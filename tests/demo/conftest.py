"""One small generated data set shared by the demo tests (generation is deterministic)."""

from __future__ import annotations

import csv
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from cxm.demo.config import DemoConfig
from cxm.demo.files import DemoFiles
from cxm.demo.generate import generate

SMALL = DemoConfig.of_size("small", seed=7)


@pytest.fixture(scope="session")
def small_files(tmp_path_factory: pytest.TempPathFactory) -> DemoFiles:
    return generate(SMALL, tmp_path_factory.mktemp("demo") / "small")


def read_csv(files: DemoFiles, name: str) -> list[dict[str, str]]:
    with files.path(name).open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def read_events(files: DemoFiles) -> pa.Table:
    names = [s.file for s in files.imports if s.kind == "events"]
    return pa.concat_tables([pq.read_table(files.path(n)) for n in names])


def file_names(directory: Path) -> list[str]:
    return sorted(str(p.relative_to(directory)) for p in directory.rglob("*") if p.is_file())
