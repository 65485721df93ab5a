"""Build JSON text columns for a million rows without a Python loop per row.

Anything with free text (names, titles, Chinese) is serialised once per distinct
value with orjson, which escapes correctly; rows then pick their fragments by index
and Arrow joins the pieces. Only identifiers and URLs we generate ourselves (ASCII,
no quotes) are spliced in raw, through :func:`quoted`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeAlias

import numpy as np
import numpy.typing as npt
import orjson
import pyarrow as pa
import pyarrow.compute as pc

Text: TypeAlias = "pa.Array | pa.ChunkedArray | str"


def fragments(values: Sequence[Any]) -> pa.Array:
    """orjson text of each value (a dict becomes its members without the braces)."""
    out = []
    for value in values:
        text = orjson.dumps(value).decode()
        out.append(text[1:-1] if isinstance(value, dict) else text)
    return pa.array(out, type=pa.string())


def pick(table: pa.Array, index: npt.NDArray[np.int64]) -> pa.Array:
    return table.take(pa.array(index, type=pa.int64()))


def concat(*parts: Text) -> pa.Array:
    """Element-wise string concatenation of arrays and constant strings."""
    result = pc.binary_join_element_wise(*parts, "")
    return result.combine_chunks() if isinstance(result, pa.ChunkedArray) else result


def quoted(values: Text) -> pa.Array:
    return concat('"', values, '"')


def when(mask: npt.NDArray[np.bool_], then: Text, otherwise: Text = "") -> pa.Array:
    return pc.if_else(pa.array(mask), then, otherwise)


def strings(values: npt.NDArray[Any] | Sequence[str]) -> pa.Array:
    return pa.array(values, type=pa.string())


def numbers(values: npt.NDArray[np.float64], decimals: int = 2) -> pa.Array:
    """Decimal text of floats, e.g. 29.99 (never exponent notation for prices)."""
    return pc.cast(pa.array(np.round(values, decimals)), pa.string())


def events_table(
    message_id: pa.Array,
    kind: Text,
    event: Text | None,
    user_id: pa.Array | None,
    anonymous_id: pa.Array | None,
    timestamp: pa.Array,
    properties: pa.Array | None,
    context: pa.Array,
    traits: pa.Array | None = None,
    name: pa.Array | None = None,
) -> pa.Table:
    """The flat events layout every demo event file uses (missing columns are null)."""
    n = len(message_id)

    def column(values: Text | None) -> pa.Array:
        if values is None:
            return pa.nulls(n, pa.string())
        if isinstance(values, str):
            return pa.array([values] * n, type=pa.string())
        return values

    return pa.table(
        {
            "message_id": message_id,
            "type": column(kind),
            "event": column(event),
            "name": column(name),
            "user_id": column(user_id),
            "anonymous_id": column(anonymous_id),
            "timestamp": timestamp,
            "properties": column(properties),
            "context": column(context),
            "traits": column(traits),
        }
    )


def message_ids(prefix: str, count: int) -> pa.Array:
    numbers = pc.utf8_lpad(pc.cast(pa.array(np.arange(count)), pa.string()), 8, "0")
    return concat(prefix, "-", numbers)
