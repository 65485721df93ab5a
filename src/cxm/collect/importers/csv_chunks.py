"""Cut a CSV byte stream into chunks that end on record boundaries.

A newline ends a record only outside quotes, and in RFC 4180 CSV (quotes are
doubled inside quoted fields) that is exactly when the number of ``"`` before
it is even. Counting quotes is done by ``bytes.count`` at C speed, so chunking
costs next to nothing next to parsing.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from typing import BinaryIO

from cxm.collect.importers.errors import ImportFileError

CHUNK_BYTES = 8 << 20
_BOM = b"\xef\xbb\xbf"


def read_header(handle: BinaryIO, name: str) -> tuple[list[str], bytes, int]:
    """Return (column names, the header's bytes, how many lines it spans)."""
    raw = handle.readline()
    while raw.count(b'"') % 2 and raw.endswith(b"\n"):
        more = handle.readline()
        if not more:
            break
        raw += more
    text_bytes = raw.removeprefix(_BOM)
    if not text_bytes.strip():
        raise ImportFileError(f"{name}: empty file, expected a CSV header line")
    try:
        text = text_bytes.decode("utf-8")
    except UnicodeDecodeError:
        raise ImportFileError(f"{name}: the header line is not UTF-8 text") from None
    try:
        columns = next(csv.reader([text.rstrip("\r\n")]))
    except (csv.Error, StopIteration) as error:
        raise ImportFileError(f"{name}: cannot parse the CSV header ({error})") from None
    columns = [c.strip() for c in columns]
    if any(not c for c in columns):
        position = [i + 1 for i, c in enumerate(columns) if not c]
        raise ImportFileError(f"{name}: header column(s) {position} have no name")
    repeated = sorted({c for c in columns if columns.count(c) > 1})
    if repeated:
        raise ImportFileError(f"{name}: header repeats column(s) {', '.join(repeated)}")
    return columns, raw, raw.count(b"\n") or 1


def record_chunks(handle: BinaryIO, chunk_bytes: int = CHUNK_BYTES) -> Iterator[bytes]:
    """Yield the rest of the file in chunks of whole records (the last may lack a newline)."""
    carry = b""
    while True:
        block = handle.read(chunk_bytes)
        if not block:
            if carry:
                yield carry
            return
        data = carry + block if carry else block
        cut = _last_record_end(data)
        if cut < 0:
            carry = data
            continue
        yield data[: cut + 1]
        carry = data[cut + 1 :]


def _last_record_end(data: bytes) -> int:
    """Index of the last newline outside quotes, or -1."""
    cut = data.rfind(b"\n")
    while cut >= 0 and data.count(b'"', 0, cut + 1) % 2:
        cut = data.rfind(b"\n", 0, cut)
    return cut
