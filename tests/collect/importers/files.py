"""Write the same rows as CSV, JSON Lines or Parquet for importer tests."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.parquet as pq


def write_rows(folder: Path, name: str, rows: list[dict[str, Any]], fmt: str) -> Path:
    """CSV cells are text (lists/dicts as JSON, None as empty); Parquet keeps types."""
    path = folder / f"{name}.{fmt}"
    columns = list(dict.fromkeys(k for r in rows for k in r))
    if fmt == "jsonl":
        path.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in rows))
    elif fmt == "parquet":
        pq.write_table(pa.Table.from_pylist([{c: r.get(c) for c in columns} for r in rows]), path)
    else:
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(columns)
            for row in rows:
                writer.writerow([_cell(row.get(c)) for c in columns])
    return path


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list | dict):
        return orjson.dumps(value).decode()
    return str(value)
