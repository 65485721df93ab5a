"""Browsers and app installs: anonymous ids and the context each one reports.

A person browses from one to three browsers (phone, laptop, work PC); every
never-identified visitor has one. App users have one install. Each device keeps its
own user agent, IP address and locale, exactly as a tracker would see them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from cxm.demo.config import COUNTRIES, LOCALES
from cxm.demo.jsontext import fragments
from cxm.demo.population import Population

Ints = npt.NDArray[np.int64]

USER_AGENTS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/130.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/18.0 Safari/605.1.15",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/18.0 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/130.0.0.0 Mobile Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:131.0) Gecko/20100101 Firefox/131.0",
    "Mozilla/5.0 (Linux; Android 13; SM-S911B) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/129.0.0.0 Mobile Safari/537.36 MicroMessenger/8.0.49",
)
# First octet of IPv4 ranges typical for each market (documentation-style realism).
IP_PREFIX = {"CN": (116, 183, 223), "DE": (91, 84, 87), "GB": (86, 81, 90), "US": (73, 98, 24)}
APP_DEVICES = (
    ("ios", "iPhone15,2", "iOS", "18.0"),
    ("ios", "iPhone16,1", "iOS", "17.6"),
    ("android", "Pixel 8", "Android", "14"),
    ("android", "SM-S911B", "Android", "14"),
    ("android", "Mi 13", "Android", "13"),
    ("android", "HUAWEI P60", "Android", "12"),
)


@dataclass(frozen=True)
class Devices:
    """``first[p]`` is person p's first device; visitor v owns ``first[-1] + v``."""

    first: Ints
    ids: list[str]
    context: pa.Array  # context member fragments (JSON without braces), one per device

    @property
    def size(self) -> int:
        return len(self.ids)


def _uuid(rng: np.random.Generator, count: int) -> list[str]:
    raw = rng.integers(0, 2**63, size=(count, 2), dtype=np.int64)
    out = []
    for hi, lo in raw:
        text = f"{int(hi):016x}{int(lo):016x}"
        out.append(f"{text[:8]}-{text[8:12]}-4{text[13:16]}-a{text[17:20]}-{text[20:32]}")
    return out


def _ips(rng: np.random.Generator, countries: list[int]) -> list[str]:
    octets = rng.integers(1, 255, size=(len(countries), 4))
    out = []
    for country, (first, a, b, c) in zip(countries, octets, strict=True):
        prefix = IP_PREFIX[COUNTRIES[country]][int(first) % 3]
        out.append(f"{prefix}.{a}.{b}.{c}")
    return out


def make_devices(pop: Population, rng: np.random.Generator, visitors: int, app: bool) -> Devices:
    if app:
        per_person = pop.has_app.astype(np.int64)
    else:
        per_person = 1 + (rng.random(pop.size) < 0.45) + (rng.random(pop.size) < 0.15)
    first = np.concatenate([[0], np.cumsum(per_person)]).astype(np.int64)
    owner_country = list(np.repeat(pop.country, per_person))
    owner_country += list(rng.choice(len(COUNTRIES), size=visitors, p=(0.35, 0.3, 0.2, 0.15)))
    count = len(owner_country)
    ids = _uuid(rng, count)
    ips = _ips(rng, [int(c) for c in owner_country])
    kinds = rng.integers(0, len(APP_DEVICES), size=count)
    agents = rng.integers(0, len(USER_AGENTS), size=count)
    members = []
    for index in range(count):
        country = COUNTRIES[int(owner_country[index])]
        if app:
            kind, model, os_name, os_version = APP_DEVICES[int(kinds[index])]
            members.append(
                {
                    "device": {"id": ids[index], "type": kind, "model": model},
                    "os": {"name": os_name, "version": os_version},
                    "app": {"name": "Lumen", "version": "4.2.1", "build": "421"},
                    "ip": ips[index],
                    "locale": LOCALES[country],
                    "library": {"name": f"analytics-{kind}", "version": "4.1.8"},
                }
            )
        else:
            # The WeChat in-app browser (last agent) is only common in China.
            agent = int(agents[index]) % (len(USER_AGENTS) - (country != "CN"))
            members.append(
                {
                    "userAgent": USER_AGENTS[agent],
                    "ip": ips[index],
                    "locale": LOCALES[country],
                    "library": {"name": "cxm.js", "version": "1.0.0"},
                }
            )
    return Devices(first=first, ids=ids, context=fragments(members))
