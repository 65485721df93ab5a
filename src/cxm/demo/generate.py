"""Generate the Lumen & Co. demo data set into a directory of importable files.

Each part of the data set draws from its own random stream (spawned from the one
seed), so the output is byte-for-byte reproducible. Files are written into a
temporary directory that is renamed into place once complete, so an interrupted
run never leaves a half-written set that looks reusable.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from cxm.demo.calendar import Clock
from cxm.demo.catalogue import make_catalogue
from cxm.demo.channels import email_events, messaging_events, store_events
from cxm.demo.config import CHANNEL_SHARES, DemoConfig
from cxm.demo.customers import crm_rows, loyalty_rows, shop_rows, truth_rows
from cxm.demo.devices import make_devices
from cxm.demo.files import DemoFiles, ImportSpec, read_manifest, write_manifest
from cxm.demo.orders import items_as_text, online_orders, store_orders
from cxm.demo.people import e164
from cxm.demo.population import make_population
from cxm.demo.reviews import make_reviews
from cxm.demo.sessions import lay_out, plan_sessions
from cxm.demo.site import Site
from cxm.demo.social import social_events
from cxm.demo.tickets import make_tickets
from cxm.demo.webevents import render_sessions

Progress = Callable[[str], None]
SHOP_MAPPING = {
    "email": "email_address",
    "first_name": "firstname",
    "last_name": "lastname",
    "address_line1": "street",
    "postcode": "zip",
    "city": "town",
    "country": "country_code",
}
LOYALTY_MAPPING = {
    "phone": "mobile",
    "first_name": "given_name",
    "last_name": "family_name",
    "birth_date": "dob",
}
# Event file -> (source name, CXM channel of that source)
EVENT_SOURCES = {
    "web": ("shop-web", "web"),
    "app": ("shop-app", "app"),
    "email": ("newsletter", "email"),
    "store": ("store-pos", "store"),
    "messaging": ("messaging", "messaging"),
    "social": ("social-listening", "social"),
}


def _write_csv(path: Path, rows: Sequence[dict[str, Any]]) -> int:
    columns = list(rows[0]) if rows else []
    table = pa.table({c: pa.array([_cell(r[c]) for r in rows], type=pa.string()) for c in columns})
    pacsv.write_csv(table, path)
    return len(rows)


def _cell(value: Any) -> str | None:
    if value is None or value == "":
        return None
    return str(value)


def _write_jsonl(path: Path, rows: Sequence[dict[str, Any]]) -> int:
    with path.open("wb") as handle:
        for row in rows:
            handle.write(orjson.dumps(row) + b"\n")
    return len(rows)


def _write_parquet(path: Path, table: pa.Table) -> int:
    pq.write_table(table, path, compression="zstd", row_group_size=250_000)
    return int(table.num_rows)


def _budgets(config: DemoConfig) -> dict[str, int]:
    budgets = {name: int(config.events * share) for name, share in CHANNEL_SHARES.items()}
    budgets["email"] += config.events - sum(budgets.values())
    return budgets


def generate(config: DemoConfig, directory: Path, progress: Progress | None = None) -> DemoFiles:
    """Write the whole data set into ``directory`` (created; must not exist yet)."""
    say = progress or (lambda _message: None)
    streams = [np.random.default_rng(s) for s in np.random.SeedSequence(config.seed).spawn(14)]
    clock = Clock(config)
    directory.mkdir(parents=True)
    (directory / "truth").mkdir()
    say("people and customer records")
    pop = make_population(config, streams[0])
    catalogue = make_catalogue(streams[1])
    site = Site(catalogue)
    crm, shop = (
        crm_rows(pop, streams[2], clock.start_ms),
        shop_rows(pop, streams[2], clock.start_ms),
    )
    loyalty = loyalty_rows(pop, streams[2], clock.start_ms)
    by_crm = {str(r["crm_id"]): str(r["email"]) for r in crm}
    by_shop = {str(r["customer_no"]): str(r["email_address"]) for r in shop}
    crm_emails = [by_crm.get(c, "") for c in pop.crm_id]
    shop_emails = [by_shop.get(s, "") for s in pop.shop_id]
    phones = [e164(p.phone) for p in pop.people]
    imports = [
        ImportSpec(
            "customers_crm.csv",
            "customers",
            "crm",
            "other",
            _write_csv(directory / "customers_crm.csv", crm),
            "crm_id",
        ),
        ImportSpec(
            "customers_shop.csv",
            "customers",
            "shop",
            "other",
            _write_csv(directory / "customers_shop.csv", shop),
            "customer_no",
            SHOP_MAPPING,
        ),
        ImportSpec(
            "customers_loyalty.csv",
            "customers",
            "loyalty",
            "other",
            _write_csv(directory / "customers_loyalty.csv", loyalty),
            "card_number",
            LOYALTY_MAPPING,
        ),
    ]
    truth = {
        "truth/persons.csv": _write_csv(
            directory / "truth/persons.csv", truth_rows(pop, clock.start_ms)
        )
    }
    budgets = _budgets(config)
    tables: dict[str, pa.Table] = {}
    checkouts = []
    device_rows: list[dict[str, str]] = []
    for channel, stream in (("web", streams[3]), ("app", streams[4])):
        say(f"{channel} sessions")
        app = channel == "app"
        devices = make_devices(pop, stream, 0 if app else pop.size, app)
        sessions = plan_sessions(
            pop, catalogue, clock, stream, budgets[channel], devices.first, app
        )
        layout = lay_out(sessions, catalogue, stream)
        table, done = render_sessions(
            sessions,
            layout,
            pop,
            devices,
            catalogue,
            site,
            shop_emails,
            stream,
            f"{channel}{config.seed}",
            app,
        )
        tables[channel] = table
        checkouts.append(done)
        owners = np.repeat(np.arange(pop.size), np.diff(devices.first))
        device_rows += [
            {"anonymous_id": devices.ids[d], "person_id": pop.people[o].person_id, "kind": channel}
            for d, o in enumerate(owners)
        ]
    truth["truth/devices.csv"] = _write_csv(directory / "truth/devices.csv", device_rows)
    say("e-mail, store and messaging events")
    tables["email"] = email_events(
        pop, crm_emails, config, clock, streams[5], budgets["email"], f"email{config.seed}"
    )
    tables["store"], visits = store_events(
        pop, clock, streams[6], budgets["store"], f"store{config.seed}"
    )
    tables["messaging"] = messaging_events(
        pop, phones, clock, streams[7], budgets["messaging"], f"msg{config.seed}"
    )
    say("orders, tickets and reviews")
    online, bought = online_orders(
        checkouts, pop, catalogue, [p.email for p in pop.people], streams[8]
    )
    in_store, bought_in_store = store_orders(visits, pop, catalogue, streams[9])
    contact = [
        c or s or p.email for c, s, p in zip(crm_emails, shop_emails, pop.people, strict=True)
    ]
    tickets = make_tickets(pop, contact, phones, clock, streams[10])
    reviews, labels, mentions = make_reviews(
        pop, catalogue, bought + bought_in_store, clock, streams[11]
    )
    tables["social"] = social_events(
        pop, mentions, clock, streams[12], budgets["social"], f"social{config.seed}"
    )
    truth["truth/review_labels.csv"] = _write_csv(directory / "truth/review_labels.csv", labels)
    say("writing event files")
    for channel, table in tables.items():
        name = f"events_{channel}.parquet"
        source, source_channel = EVENT_SOURCES[channel]
        imports.append(
            ImportSpec(
                name, "events", source, source_channel, _write_parquet(directory / name, table)
            )
        )
    imports += [
        ImportSpec(
            "orders_online.csv",
            "orders",
            "shop",
            "other",
            _write_csv(directory / "orders_online.csv", items_as_text(online)),
        ),
        ImportSpec(
            "orders_store.jsonl",
            "orders",
            "store-pos",
            "store",
            _write_jsonl(directory / "orders_store.jsonl", in_store),
        ),
        ImportSpec(
            "tickets.csv",
            "tickets",
            "helpdesk",
            "help_desk",
            _write_csv(directory / "tickets.csv", tickets),
        ),
        ImportSpec(
            "reviews.jsonl",
            "reviews",
            "reviews",
            "review",
            _write_jsonl(directory / "reviews.jsonl", reviews),
        ),
    ]
    files = DemoFiles(directory, config.as_dict(), imports, truth)
    write_manifest(files)
    return files


def ensure_generated(
    config: DemoConfig, data_dir: Path, progress: Progress | None = None
) -> tuple[DemoFiles, bool]:
    """The files for ``config`` under ``data_dir``, generated unless already there.

    Returns the files and whether they were reused.
    """
    target = data_dir / config.directory_name()
    existing = read_manifest(target)
    if existing is not None and existing.config == config.as_dict():
        return existing, True
    partial = data_dir / (config.directory_name() + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    shutil.rmtree(target, ignore_errors=True)
    files = generate(config, partial, progress)
    partial.rename(target)
    return DemoFiles(target, files.config, files.imports, files.truth), False
