from __future__ import annotations

import re
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from cxm.collect.importers import ImportFileError
from cxm.collect.importers.csv_chunks import record_chunks
from cxm.collect.importers.readers import FileReader

TRICKY_CSV = (
    b"\xef\xbb\xbfid,name,note\n"  # 1: header after a BOM
    b"1,a,x\n"  # 2
    b'2,"two\nlines",y\n'  # 3-4: quoted newline
    b"\n"  # 5: blank
    b"3,c\n"  # 6: too few columns
    b"4,\xff,z\n"  # 7: not UTF-8
    b'5,"say ""hi""",w\r\n'  # 8: doubled quotes, CRLF
    b"6,f,g"  # 9: no final newline
)


def _read(path: Path) -> tuple[list[int], list[dict[str, object]], list[tuple[int, str]]]:
    reader = FileReader(path)
    lines, records, problems = [], [], []
    for batch in reader.batches():
        lines += batch.lines
        records += batch.records
        problems += [(p.line, p.reason) for p in batch.problems]
    return lines, records, problems


def test_csv_reader_keeps_physical_line_numbers_with_tricky_rows(tmp_path: Path) -> None:
    path = tmp_path / "tricky.csv"
    path.write_bytes(TRICKY_CSV)
    lines, records, problems = _read(path)
    assert lines == [2, 3, 8, 9]
    assert [r["name"] for r in records] == ["a", "two\nlines", 'say "hi"', "f"]
    assert problems == [(6, "expected 3 columns, found 2"), (7, "is not valid UTF-8 text")]


@pytest.mark.parametrize("chunk_bytes", [1, 7, 13, 64])
def test_csv_chunks_never_cut_inside_quotes(tmp_path: Path, chunk_bytes: int) -> None:
    path = tmp_path / "tricky.csv"
    path.write_bytes(TRICKY_CSV)
    with path.open("rb") as handle:
        handle.readline()
        chunks = list(record_chunks(handle, chunk_bytes))
    assert b"".join(chunks) == TRICKY_CSV.split(b"\n", 1)[1]
    assert all(chunk.count(b'"') % 2 == 0 for chunk in chunks)


def test_csv_reader_fast_path_keeps_rows_in_order(tmp_path: Path) -> None:
    path = tmp_path / "plain.csv"
    path.write_text("a,b\n" + "".join(f"{i},{i * 2}\n" for i in range(1000)), encoding="utf-8")
    lines, records, problems = _read(path)
    assert lines == list(range(2, 1002))
    assert records[999] == {"a": "999", "b": "1998"} and not problems


def test_jsonl_reader_quarantines_bad_lines_and_skips_blank_ones(tmp_path: Path) -> None:
    path = tmp_path / "rows.jsonl"
    path.write_text('{"a": 1}\n\n{"a": \n[1, 2]\n{"a": 2}\n', encoding="utf-8")
    lines, records, problems = _read(path)
    assert lines == [1, 5] and records == [{"a": 1}, {"a": 2}]
    assert [p[0] for p in problems] == [3, 4]
    assert problems[1][1] == "expected a JSON object, found list"


def test_parquet_reader_numbers_rows_from_one(tmp_path: Path) -> None:
    path = tmp_path / "rows.parquet"
    pq.write_table(pa.table({"a": [1, 2, 3]}), path)
    lines, records, _ = _read(path)
    assert lines == [1, 2, 3] and records[2] == {"a": 3}


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("rows.xlsx", b"x", "unknown format '.xlsx'"),
        ("empty.csv", b"", "empty file"),
        ("dup.csv", b"a,b,a\n1,2,3\n", "repeats column(s) a"),
        ("bad.parquet", b"not parquet", "not a readable Parquet file"),
    ],
)
def test_reader_rejects_unusable_file_with_its_name(
    tmp_path: Path, name: str, content: bytes, message: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(ImportFileError, match=re.escape(message)) as caught:
        FileReader(path)
    assert name in str(caught.value)


def test_reader_rejects_missing_file_and_mapping_to_absent_column(tmp_path: Path) -> None:
    with pytest.raises(ImportFileError, match="no such file"):
        FileReader(tmp_path / "absent.csv")
    path = tmp_path / "a.csv"
    path.write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(ImportFileError, match="mapped column"):
        FileReader(path, {"zz": "email"})
