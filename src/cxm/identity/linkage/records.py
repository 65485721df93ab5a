"""Customer records as Splink input: one row per record, comparable features."""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc

from cxm.identity.linkage.features import (
    birth_date,
    email_key,
    first_name_key,
    name_key,
    phone_country,
    phone_key,
    postcode_key,
)
from cxm.identity.linkage.model import RARE_NAME_MAX
from cxm.store import Database


@dataclass(frozen=True)
class LinkageInput:
    features: pa.Table  # unique_id + feature columns, for Splink
    sources: list[str]  # per unique_id
    record_ids: list[str]
    profile_ids: list[str | None]


def read_records(database: Database) -> LinkageInput:
    table = database.query_arrow(
        "SELECT source, record_id, first_name, last_name, email, phone, birth_date, "
        "postcode, country, profile_id FROM customer_records ORDER BY source, record_id"
    )
    return features_of(table)


def _rare(values: pa.Array, most: int) -> pa.Array:
    """``values`` where at most ``most`` records carry the value, else null."""
    counts = pc.value_counts(values)
    common = counts.field("values").filter(pc.greater(counts.field("counts"), most))
    return pc.if_else(pc.is_in(values, value_set=common), None, values)


def features_of(table: pa.Table) -> LinkageInput:
    columns = {name: table.column(name).to_pylist() for name in table.column_names}
    first, last, full, born, email, phone, postcode, region = [], [], [], [], [], [], [], []
    for i in range(table.num_rows):
        country = columns["country"][i]
        f = first_name_key(columns["first_name"][i])
        s = name_key(columns["last_name"][i])
        e164 = phone_key(columns["phone"][i], country)
        first.append(f)
        last.append(s)
        full.append(f"{f} {s}" if f and s else None)
        born.append(birth_date(columns["birth_date"][i]))
        email.append(email_key(columns["email"][i]))
        phone.append(e164)
        where = (country or phone_country(e164) or "").upper() or None
        region.append(where)
        postcode.append(postcode_key(columns["postcode"][i], where))
    full_names = pa.array(full, pa.string())
    features = pa.table(
        {
            "unique_id": pa.array(range(table.num_rows), pa.int64()),
            "first_name": pa.array(first, pa.string()),
            "last_name": pa.array(last, pa.string()),
            "full_name": full_names,
            "rare_full_name": _rare(full_names, RARE_NAME_MAX),
            "birth_date": pa.array(born, pa.string()),
            "email": pa.array(email, pa.string()),
            "phone": pa.array(phone, pa.string()),
            "postcode": pa.array(postcode, pa.string()),
            "country": pa.array(region, pa.string()),
        }
    )
    return LinkageInput(
        features,
        [str(s) for s in columns["source"]],
        [str(r) for r in columns["record_id"]],
        columns["profile_id"],
    )
