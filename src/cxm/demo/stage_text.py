"""The text stage's part of the demo (see ``cxm.demo.stages``).

Analyses every imported review and mention (and open-text survey answers the voc
stage produced), looks for negative-volume spikes, and — because the generator
wrote the true sentiment of each review — reports how often the analyser agrees
with it (on the generator's own templates: an optimistic figure, see docs/text.md).
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path

from cxm.demo.files import DemoFiles
from cxm.store import Database
from cxm.voc.text.listening import detect_spikes
from cxm.voc.text.reviews import analyse_reviews

LABELS_FILE = "truth/review_labels.csv"


def agreement(database: Database, labels: Path) -> tuple[int, int]:
    """(agreeing, compared) between review_analyses and the generator's labels."""
    if not labels.is_file():
        return 0, 0
    with labels.open(encoding="utf-8", newline="") as handle:
        truth = {
            row["review_id"]: ("neutral" if row["sentiment"] == "mixed" else row["sentiment"])
            for row in csv.DictReader(handle)
        }
    rows = database.query("SELECT review_id, label FROM review_analyses")
    predicted: dict[str, str] = {str(r[0]): str(r[1]) for r in rows}
    compared = [key for key in truth if key in predicted]
    return sum(truth[k] == predicted[k] for k in compared), len(compared)


def run(database: Database, files: DemoFiles, say: Callable[[str], None]) -> str:
    """Analyse the demo's reviews; return a one-line summary."""
    say("text: analysing reviews and mentions (language, sentiment, topics)")
    done = analyse_reviews(database)
    spikes = detect_spikes(database)
    agree, compared = agreement(database, files.path(LABELS_FILE))
    share = f", {agree / compared:.0%} agree with the generator's labels" if compared else ""
    return (
        f"text: {done.reviews:,} reviews and {done.survey_answers:,} survey answers analysed "
        f"in {done.seconds:.1f}s{share}; {len(spikes)} negative-volume alert(s)"
    )
