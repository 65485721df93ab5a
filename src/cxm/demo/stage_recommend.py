"""The recommend stage's part of the demo (see ``cxm.demo.stages``).

1. Record ``personalisation`` consent for a deterministic part of the loyalty members
   (a demo assumption: the loyalty sign-up form asks for personalised recommendations;
   source ``demo-loyalty-signup``), so the profile pages show both cases: personalised
   lists for them, trending/related only for everyone else (no consent by default).
2. Evaluate with a time split 75 days before the newest interaction and report
   personalised P@10 against the popularity baseline.
3. Train on everything and store the model `cxm serve` answers from.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from cxm.demo.files import DemoFiles
from cxm.store import Database

CONSENT_EVERY = 4  # one loyalty member in four said yes
CONSENT_CAP = 1500  # keeps the stage within its time budget at the default size
SPLIT_BEFORE_END = timedelta(days=75)


def _grant_consent(database: Database) -> int:
    from cxm.privacy.consent import record_consent
    from cxm.privacy.consent_subject import Subject

    done = database.scalar(
        "SELECT count(*) FROM consent_ledger WHERE source = ?", ["demo-loyalty-signup"]
    )
    if done:
        return int(done)  # a rerun on the same database records nothing twice
    members = database.query(
        "SELECT min(profile_id), min(id_value) FROM identifiers "
        "WHERE id_type = 'record:loyalty' AND profile_id IS NOT NULL "
        "GROUP BY profile_id ORDER BY min(profile_id)"
    )
    chosen = members[::CONSENT_EVERY][:CONSENT_CAP]
    when = datetime.now(UTC)
    for profile_id, record in chosen:
        subject = Subject(str(profile_id), f"record:loyalty:{record}")
        record_consent(
            database,
            str(profile_id),
            "personalisation",
            "*",
            "granted",
            source="demo-loyalty-signup",
            wording_version="demo-1",
            subject=subject,
            at=when,
        )
    return len(chosen)


def run(database: Database, files: DemoFiles, say: Callable[[str], None]) -> str:
    """Consent for some loyalty members, a time-split evaluation, then the served model."""
    from cxm.recommend.evaluate import evaluate
    from cxm.recommend.service import RecommendError, train_and_save

    say("recommend: personalisation consent for loyalty members")
    granted = _grant_consent(database)
    newest = database.scalar(
        "SELECT max(timestamp) FROM events "
        "WHERE event IN ('Product Viewed', 'Product Added', 'Order Completed')"
    )
    if newest is None:
        return ""
    figures = ""
    say("recommend: time-split evaluation")
    split = (newest - SPLIT_BEFORE_END).replace(hour=0, minute=0, second=0, microsecond=0)
    try:
        result = evaluate(database, split, 10)
    except RecommendError:
        pass  # too little data on one side of the split (tiny demo): skip the figures
    else:
        mine, base = result.kinds["personalised"], result.kinds["popularity"]
        figures = (
            f"; P@10 personalised {mine.precision:.3f} vs popularity {base.precision:.3f} "
            f"({result.persons:,} persons, split {split:%Y-%m-%d})"
        )
    say("recommend: training")
    summary = train_and_save(database)
    return (
        f"recommendations: model {summary.version} from {summary.interactions:,} interactions, "
        f"{summary.items:,} items{figures}; personalisation consent for {granted:,} "
        "loyalty members"
    )
