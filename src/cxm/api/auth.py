"""Write-key authentication, Segment style: HTTP Basic with the key as username.

Browsers' ``navigator.sendBeacon`` cannot set headers, so a ``writeKey`` in the
JSON body is accepted too.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from fastapi import Request

from cxm.api.errors import ApiError
from cxm.collect.sources import Source, WriteKeyCache


def _basic_username(header: str) -> str | None:
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic" or not encoded:
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return decoded.partition(":")[0] or None


def authenticate_source(request: Request, body: Any, keys: WriteKeyCache) -> Source:
    header = request.headers.get("authorization")
    write_key = _basic_username(header) if header else None
    if write_key is None and isinstance(body, dict) and isinstance(body.get("writeKey"), str):
        write_key = body["writeKey"]
    if not write_key:
        raise ApiError(
            401,
            "unauthorized",
            "Authorization",
            "send the source's write key as the HTTP Basic username (or writeKey in the body)",
        )
    source = keys.resolve(write_key)
    if source is None:
        raise ApiError(401, "unauthorized", "Authorization", "unknown write key")
    return source
