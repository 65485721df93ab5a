"""The column-wise event extraction gives each row the identifiers a per-row reading
of the typing rules gives (extract.py's docstring), strongest first, ties in slot order."""

from __future__ import annotations

from typing import Any

import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from cxm.identity.extract import RANK, _event_rows
from cxm.identity.normalise import normalise_email, normalise_phone

MAYBE_ID = st.sampled_from(["", None, "u1", "u2", "wa:+4915112345678", "wa:12", "C-7", "a-9"])
MAYBE_EMAIL = st.sampled_from([None, "", " Ana@Example.COM ", "not-an-email", "b@x.org"])
MAYBE_PHONE = st.sampled_from([None, "", "+49 151 1234 5678", "12", "+1 415 555 0100"])
SOURCE = st.sampled_from([None, "crm", "shop"])
ROW = st.tuples(MAYBE_ID, MAYBE_ID, MAYBE_ID, MAYBE_EMAIL, MAYBE_EMAIL, MAYBE_PHONE, SOURCE)


def _messaging_phone(value: str | None) -> str | None:
    return normalise_phone(value[3:]) if value and value.startswith("wa:") else None


def _reference(row: tuple[Any, ...]) -> list[tuple[str, str]]:
    anonymous, user, previous, email, context_email, phone, source = row
    found: list[tuple[str, str | None]] = []
    if user:
        if source is not None:
            kind = f"record:{source}"
        elif user.startswith("wa:"):
            kind = "anonymous_id"
        else:
            kind = "user_id"
        found.append((kind, user))
    found.append(("phone", _messaging_phone(user)))
    found.append(("email", normalise_email(email) if email else None))
    found.append(("email", normalise_email(context_email) if context_email else None))
    found.append(("phone", normalise_phone(phone) if phone else None))
    found.append(("phone", _messaging_phone(anonymous)))
    found.append(("anonymous_id", anonymous or None))
    found.append(("anonymous_id", previous or None))
    kept = [(t, v) for t, v in found if v is not None]
    return sorted(kept, key=lambda pair: RANK[pair[0].partition(":")[0]])


@settings(max_examples=60, deadline=None)
@given(st.lists(ROW, min_size=1, max_size=12))
def test_event_rows_match_the_per_row_rules(rows: list[tuple[Any, ...]]) -> None:
    stored = [(f"k{i}", a, u, p, e, c, ph, 1_700_000_000_000_000 + i, s)
              for i, (a, u, p, e, c, ph, s) in enumerate(rows)]  # fmt: skip
    columns = [[r[i] for r in stored] for i in range(9)]
    table = pa.table({f"c{i}": pa.array(c, pa.int64() if i == 7 else pa.string())
                      for i, c in enumerate(columns)})  # fmt: skip
    types, values, sizes, seen = _event_rows(table)
    flat = list(zip(types, values, strict=True))
    at = 0
    for row, size in zip(rows, sizes, strict=True):
        assert flat[at : at + size] == _reference(row)
        at += size
    assert at == len(flat)
    assert seen.astype("int64").tolist() == [r[7] for r in stored]


@given(st.lists(st.integers(min_value=0, max_value=6), max_size=40))
def test_first_occurrences_equal_a_sorted_unique(values: list[int]) -> None:
    """Arrow's first-appearance numbering and, for any other order, the fallback."""
    import numpy as np
    import pyarrow.compute as pc

    from cxm.identity.stitch import _first_occurrences

    raw = np.array(values, dtype=np.int64)
    encoded = np.asarray(pc.dictionary_encode(pa.array(raw)).indices, dtype=np.int64)
    for codes in (encoded, raw):
        nodes, first_at = _first_occurrences(codes)
        expected_nodes, expected_first = np.unique(codes, return_index=True)
        assert nodes.tolist() == expected_nodes.tolist()
        assert first_at.tolist() == expected_first.tolist()
