"""Read CSV, JSON Lines and Parquet files in batches, keeping each row's line number.

The format comes from the file extension. Every batch carries the 1-based line
number of each of its rows (for Parquet: the row number) and the rows the
reader itself could not parse, so importers can quarantine them and go on.

CSV is UTF-8 with a header line (a BOM is ignored, empty values mean "absent").
It is read by pyarrow in chunks cut at record boundaries; a chunk where every
record is exactly one line keeps pyarrow's columns as they are, any other chunk
(quoted newlines, blank lines, a bad row) is re-read by Python's csv module so
that line numbers stay exact and a bad row costs only itself.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import orjson
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from cxm.collect.importers.csv_chunks import read_header, record_chunks
from cxm.collect.importers.errors import ImportFileError

FileFormat = Literal["csv", "jsonl", "parquet"]
FORMATS: dict[str, FileFormat] = {
    ".csv": "csv",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".parquet": "parquet",
}
JSONL_BATCH_ROWS = 20_000
PARQUET_BATCH_ROWS = 65_536


@dataclass(frozen=True)
class Problem:
    """A row that was not imported: where, which field, why, and the row as read."""

    line: int
    field: str
    reason: str
    payload: str


@dataclass
class Batch:
    lines: list[int]
    table: pa.Table | None = None
    problems: list[Problem] = field(default_factory=list)
    bytes_done: int = 0
    _records: list[dict[str, Any]] | None = None

    @property
    def records(self) -> list[dict[str, Any]]:
        if self._records is None:
            self._records = self.table.to_pylist() if self.table is not None else []
        return self._records


def file_format(path: Path) -> FileFormat:
    found = FORMATS.get(path.suffix.lower())
    if found is None:
        known = ", ".join(sorted(FORMATS))
        raise ImportFileError(f"{path.name}: unknown format {path.suffix!r} (expected {known})")
    return found


class FileReader:
    """One pass over a file. ``columns`` is None for JSON Lines (no header to check)."""

    def __init__(self, path: Path, renames: dict[str, str] | None = None) -> None:
        self.path = path
        self.format = file_format(path)
        if not path.is_file():
            raise ImportFileError(f"{path}: no such file")
        try:
            self.size = path.stat().st_size
        except OSError as error:
            raise ImportFileError(f"{path}: cannot read ({error.strerror})") from None
        self.renames = dict(renames or {})
        self._hash = hashlib.sha256()
        self.columns: list[str] | None = None
        self._file_columns: list[str] = []
        if self.format == "csv":
            self._open_csv()
        elif self.format == "parquet":
            self._open_parquet()

    @property
    def sha256(self) -> str:
        """The file's SHA-256; complete once ``batches()`` has been consumed."""
        return self._hash.hexdigest()

    def _renamed(self, names: list[str]) -> list[str]:
        missing = [c for c in self.renames if c not in names]
        if missing:
            raise ImportFileError(
                f"{self.path.name}: mapped column(s) {', '.join(missing)} not in the file "
                f"(columns: {', '.join(names)})"
            )
        renamed = [self.renames.get(c, c) for c in names]
        clashes = sorted({c for c in renamed if renamed.count(c) > 1})
        if clashes:
            raise ImportFileError(f"{self.path.name}: column(s) {', '.join(clashes)} appear twice")
        return renamed

    def _open_csv(self) -> None:
        try:
            self._handle = self.path.open("rb")
        except OSError as error:
            raise ImportFileError(f"{self.path}: cannot read ({error.strerror})") from None
        header, self._header_bytes, self._header_lines = read_header(self._handle, self.path.name)
        self._file_columns = header
        self.columns = self._renamed(header)

    def _open_parquet(self) -> None:
        try:
            self._parquet = pq.ParquetFile(self.path)
        except (OSError, pa.ArrowException) as error:
            message = f"{self.path.name}: not a readable Parquet file ({error})"
            raise ImportFileError(message) from None
        self._file_columns = list(self._parquet.schema_arrow.names)
        self.columns = self._renamed(self._file_columns)

    def batches(self) -> Iterator[Batch]:
        if self.format == "csv":
            yield from self._csv_batches()
        elif self.format == "jsonl":
            yield from self._jsonl_batches()
        else:
            yield from self._parquet_batches()

    def _csv_batches(self) -> Iterator[Batch]:
        assert self.columns is not None
        self._hash.update(self._header_bytes)
        done = len(self._header_bytes)
        next_line = self._header_lines + 1
        with self._handle:
            for chunk in record_chunks(self._handle):
                self._hash.update(chunk)
                done += len(chunk)
                batch = _parse_csv_chunk(chunk, self.columns, next_line)
                batch.bytes_done = done
                next_line += chunk.count(b"\n") + (0 if chunk.endswith(b"\n") else 1)
                yield batch

    def _jsonl_batches(self) -> Iterator[Batch]:
        batch = Batch(lines=[], _records=[])
        done = 0
        try:
            handle = self.path.open("rb")
        except OSError as error:
            raise ImportFileError(f"{self.path}: cannot read ({error.strerror})") from None
        with handle:
            for number, line in enumerate(handle, start=1):
                self._hash.update(line)
                done += len(line)
                record = _parse_json_line(line, number, batch.problems)
                if record is not None:
                    for old, new in self.renames.items():
                        if old in record:
                            record[new] = record.pop(old)
                    batch.lines.append(number)
                    batch.records.append(record)
                if len(batch.lines) + len(batch.problems) >= JSONL_BATCH_ROWS:
                    batch.bytes_done = done
                    yield batch
                    batch = Batch(lines=[], _records=[])
        batch.bytes_done = done
        yield batch

    def _parquet_batches(self) -> Iterator[Batch]:
        assert self.columns is not None
        with self.path.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                self._hash.update(block)
        total = max(self._parquet.metadata.num_rows, 1)
        start = 1
        try:
            for record_batch in self._parquet.iter_batches(batch_size=PARQUET_BATCH_ROWS):
                table = pa.Table.from_batches([record_batch]).rename_columns(self.columns)
                rows = table.num_rows
                done = int(self.size * min((start - 1 + rows) / total, 1.0))
                yield Batch(lines=list(range(start, start + rows)), table=table, bytes_done=done)
                start += rows
        except (OSError, pa.ArrowException) as error:
            raise ImportFileError(f"{self.path.name}: Parquet read failed ({error})") from None


def _parse_json_line(line: bytes, number: int, problems: list[Problem]) -> dict[str, Any] | None:
    if not line.strip():
        return None
    try:
        record = orjson.loads(line)
    except orjson.JSONDecodeError as error:
        payload = line.decode("utf-8", errors="replace").rstrip("\r\n")
        problems.append(Problem(number, "(line)", f"not valid JSON ({error})", payload))
        return None
    if not isinstance(record, dict):
        payload = line.decode("utf-8", errors="replace").rstrip("\r\n")
        kind = type(record).__name__
        problems.append(Problem(number, "(line)", f"expected a JSON object, found {kind}", payload))
        return None
    return record


def _parse_csv_chunk(chunk: bytes, columns: list[str], first_line: int) -> Batch:
    physical_lines = chunk.count(b"\n") + (0 if chunk.endswith(b"\n") else 1)
    try:
        table = pacsv.read_csv(
            io.BytesIO(chunk),
            read_options=pacsv.ReadOptions(column_names=columns),
            parse_options=pacsv.ParseOptions(newlines_in_values=True),
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(columns, pa.string()), strings_can_be_null=True
            ),
        )
    except pa.ArrowInvalid:
        return _parse_csv_chunk_slowly(chunk, columns, first_line)
    if table.num_rows != physical_lines:
        return _parse_csv_chunk_slowly(chunk, columns, first_line)
    return Batch(lines=list(range(first_line, first_line + physical_lines)), table=table)


def _parse_csv_chunk_slowly(chunk: bytes, columns: list[str], first_line: int) -> Batch:
    reader = csv.reader(io.StringIO(chunk.decode("utf-8", "surrogateescape"), newline=""))
    lines: list[int] = []
    values: list[list[str | None]] = [[] for _ in columns]
    problems: list[Problem] = []
    consumed = 0
    while True:
        line = first_line + consumed
        try:
            fields = next(reader)
        except StopIteration:
            break
        except csv.Error as error:
            consumed = reader.line_num
            problems.append(Problem(line, "(line)", f"CSV parse error ({error})", ""))
            continue
        consumed = reader.line_num
        if not fields:
            continue
        problem = _csv_row_problem(fields, columns, line)
        if problem is not None:
            problems.append(problem)
            continue
        lines.append(line)
        for index, value in enumerate(fields):
            values[index].append(value if value != "" else None)
    table = pa.table({c: pa.array(v, pa.string()) for c, v in zip(columns, values, strict=True)})
    return Batch(lines=lines, table=table, problems=problems)


def _csv_row_problem(fields: list[str], columns: list[str], line: int) -> Problem | None:
    safe = [f.encode("utf-8", "replace").decode("utf-8") for f in fields]
    if len(fields) != len(columns):
        reason = f"expected {len(columns)} columns, found {len(fields)}"
        return Problem(line, "(line)", reason, orjson.dumps(safe).decode())
    for column, value in zip(columns, fields, strict=True):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            payload = orjson.dumps(dict(zip(columns, safe, strict=True))).decode()
            return Problem(line, column, "is not valid UTF-8 text", payload)
    return None
