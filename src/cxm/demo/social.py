"""Social events: the mentions social listening found, and engagement with brand posts.

Social platforms know people only by their handle, so these events carry
``anonymousId = "<platform>:<handle>"``.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from cxm.demo.calendar import Clock, iso_ms
from cxm.demo.channels import person_days
from cxm.demo.jsontext import concat, events_table, fragments, message_ids, strings
from cxm.demo.population import Population
from cxm.demo.reviews import SOCIAL, Mention, handle

CONTEXT = '{"channel":"social","library":{"name":"lumen-social-listening","version":"0.9.0"}}'
ACTIONS = ("like", "like", "like", "share", "comment")


def social_events(
    pop: Population,
    mentions: list[Mention],
    clock: Clock,
    rng: np.random.Generator,
    budget: int,
    prefix: str,
) -> pa.Table:
    mentions = mentions[:budget]
    engaged = budget - len(mentions)
    person = rng.choice(pop.size, size=engaged, p=pop.activity / pop.activity.sum())
    stamps = clock.to_ms(
        rng, person_days(pop, clock, rng, person.astype(np.int64)), pop.tz_hours[person]
    )
    platforms = [SOCIAL[pop.people[int(p)].country][int(rng.integers(2))] for p in person]
    rows = [
        (
            m.timestamp,
            "Social Mention",
            f"{m.platform}:{m.handle}",
            {"platform": m.platform, "mention_id": m.review_id, "url": m.url},
        )
        for m in mentions
    ]
    posts = rng.integers(1, 400, size=engaged)
    actions = rng.integers(0, len(ACTIONS), size=engaged)
    for index in range(engaged):
        platform = platforms[index]
        rows.append(
            (
                int(stamps[index]),
                "Post Engaged",
                f"{platform}:{handle(pop, int(person[index]))}",
                {
                    "platform": platform,
                    "action": ACTIONS[int(actions[index])],
                    "post_id": f"lumen-{platform}-{int(posts[index])}",
                },
            )
        )
    rows.sort(key=lambda row: row[0])
    return events_table(
        message_ids(prefix, len(rows)),
        "track",
        strings([r[1] for r in rows]),
        None,
        strings([r[2] for r in rows]),
        strings(iso_ms(np.array([r[0] for r in rows], dtype=np.int64))),
        concat("{", fragments([r[3] for r in rows]), "}"),
        pa.array([CONTEXT] * len(rows), type=pa.string()),
    )
