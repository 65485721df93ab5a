"""Reading request bodies safely: size limits before parsing, gzip, JSON errors as 400/413."""

from __future__ import annotations

import gzip
import zlib
from typing import Any

import orjson
from fastapi import Request

from cxm.api.errors import ApiError


def _too_large(limit: int) -> ApiError:
    return ApiError(413, "payload_too_large", "(body)", f"larger than the limit of {limit} bytes")


async def read_json_body(request: Request, limit: int) -> Any:
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise _too_large(limit)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _too_large(limit)
        chunks.append(chunk)
    body = b"".join(chunks)
    if request.headers.get("content-encoding", "").lower() == "gzip":
        try:
            # Bounded decompression: a small gzip bomb must not exhaust memory.
            decompressor = zlib.decompressobj(16 + zlib.MAX_WBITS)
            body = decompressor.decompress(body, limit + 1)
        except (zlib.error, gzip.BadGzipFile) as error:
            raise ApiError(400, "invalid_body", "(body)", f"not valid gzip: {error}") from error
        if len(body) > limit or decompressor.unconsumed_tail:
            raise _too_large(limit)
    if not body.strip():
        raise ApiError(400, "invalid_body", "(body)", "the request body is empty")
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as error:
        raise ApiError(400, "invalid_json", "(body)", f"not valid JSON: {error}") from error
