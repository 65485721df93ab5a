"""Benchmark: text analytics — sentiment accuracy per language, texts/s per core, review pass.

python -m benchmarks.run text
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

TITLE = "Text analytics: sentiment accuracy and speed (issue 4)"
TARGETS = {
    "texts_per_core_s": "≥ 2,000",
    "seconds": "≤ 30 s (5k reviews)",
}
NOTES = """
Three labelled samples, kept apart. **generated** = texts from the demo generator
(`cxm.demo.texts.compose`, 3,000 per language, label from the star rating: 1–2
negative, 3 mixed → neutral, 4–5 positive). The lexicons and the mixed-review rule
were tuned while looking at these and the generator has few templates, so that
figure is optimistic — close to circular. **held-out A and B** =
`src/cxm/voc/text/samples/heldout*.tsv`, 90 hand-written reviews each (30 per
language, 10 per label), not the generator's templates. History, for honesty: A was
measured first, before any change informed by it (all: accuracy 0.767, macro-F1
0.764; en 0.767/0.761, de 0.733/0.736, zh 0.800/0.795); then its errors were read
and the lexicons extended, so A's figures below are optimistic. B was written
before that extension and measured then (all 0.711/0.716; en 0.767/0.768, de
0.667/0.676, zh 0.700/0.703); its errors were never read, but the same person wrote
B and extended the lexicons, so B's figures below are the best estimate here yet not
fully independent. At n = 30 per language the 95% interval is about ±15 points.
Errors are mostly complaints without a sentiment word and mixed or factual texts,
which a lexicon cannot read; configure a stronger analyser (`CXM_TEXT_ANALYSER`)
where that matters. Topic precision/recall is against the generator's six
labelled topics (the rules also find payment, stock and loyalty). Speed is CPU time
of this process (`time.process_time`, i.e. per core) after warm-up, `analyse()` with
language detection and topics; the machine has 2 cores shared with 6 other
engineers, so wall-clock figures are noisy. `cold_start_s` is a fresh interpreter
importing the package and analysing one text in each of en, de, zh, fr (VADER's
lexicon and lingua's low-accuracy models load lazily). The review pass writes
`review_analyses` for 5,000 generated reviews in a fresh DuckDB file.
"""


def _accuracy() -> dict[str, dict[str, Any]]:
    from cxm.voc.text.evaluate import (
        HELDOUT_B,
        evaluate,
        generated_sample,
        heldout_sample,
        language_accuracy,
        topic_scores,
    )

    results: dict[str, dict[str, Any]] = {}
    generated = generated_sample(3_000)
    samples_by_name = (
        ("held-out B", heldout_sample(HELDOUT_B)),
        ("held-out A", heldout_sample()),
        ("generated", generated),
    )
    for name, samples in samples_by_name:
        for lang, scores in sorted(evaluate(samples).items()):
            results[f"sentiment {name} {lang}"] = {
                "n": scores.n,
                "accuracy": round(scores.accuracy, 3),
                "macro_f1": round(scores.macro_f1, 3),
            }
    results["language detection"] = {
        "held-out A+B accuracy": round(
            language_accuracy(heldout_sample() + heldout_sample(HELDOUT_B)), 3
        ),
        "generated accuracy": round(language_accuracy(generated), 3),
    }
    for lang, figures in sorted(topic_scores(generated).items()):
        results[f"topics generated {lang}"] = {k: round(v, 3) for k, v in figures.items()}
    return results


def _speed() -> dict[str, dict[str, Any]]:
    from cxm.voc.text import analyse, detect_language
    from cxm.voc.text.analyser import LexiconAnalyser
    from cxm.voc.text.evaluate import generated_sample

    samples = generated_sample(2_000, seed=11)
    texts = [s.text for s in samples]
    analyse(texts[:50])
    analyse(texts)  # warm: lingua models, caches
    results: dict[str, dict[str, Any]] = {}
    start = time.process_time()
    analyse(texts)
    spent = time.process_time() - start
    results["analyse auto (mixed zh/de/en)"] = {
        "texts": len(texts),
        "texts_per_core_s": round(len(texts) / spent),
    }
    analyser = LexiconAnalyser()
    for lang in ("en", "de", "zh"):
        subset = [s.text for s in samples if s.lang == lang]
        start = time.process_time()
        analyser.sentiment(subset, [lang] * len(subset))
        spent = time.process_time() - start
        results[f"sentiment only {lang}"] = {
            "texts": len(subset),
            "texts_per_core_s": round(len(subset) / spent),
        }
    start = time.process_time()
    for text in texts:
        detect_language(text)
    results["detect_language"] = {
        "texts": len(texts),
        "texts_per_core_s": round(len(texts) / (time.process_time() - start)),
    }
    code = (
        "import time; t = time.perf_counter(); from cxm.voc.text import analyse; "
        "analyse(['Great value.', 'Sehr gut.', '很好。', 'Très bien, merci.']); "
        "print(time.perf_counter() - t)"
    )
    cold = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    results["cold start"] = {"cold_start_s": round(float(cold), 2)}
    return results


def _review_pass() -> dict[str, dict[str, Any]]:
    from cxm.store import open_database
    from cxm.voc.text.evaluate import generated_sample
    from cxm.voc.text.reviews import analyse_reviews

    samples = generated_sample(1_667, seed=5)
    rng = np.random.default_rng(3)
    start_day = datetime(2026, 1, 1, tzinfo=UTC)
    posted = [
        start_day + timedelta(minutes=int(m)) for m in rng.integers(0, 150 * 1440, len(samples))
    ]
    table = pa.table(
        {
            "source": ["trustpilot"] * len(samples),
            "review_id": [f"RV-{i}" for i in range(len(samples))],
            "rating": [4.0] * len(samples),
            "text": [s.text for s in samples],
            "language": [s.lang for s in samples],
            "posted_at": posted,
            "imported_at": [start_day] * len(samples),
        }
    )
    with tempfile.TemporaryDirectory() as folder:
        database = open_database(f"duckdb:///{Path(folder) / 'bench.duckdb'}")
        try:
            database.append("reviews", table)
            started = time.perf_counter()
            run = analyse_reviews(database)
            seconds = time.perf_counter() - started
        finally:
            database.close()
    return {
        "analyse-reviews (DuckDB, fresh)": {"reviews": run.reviews, "seconds": round(seconds, 2)}
    }


def run() -> dict[str, dict[str, Any]]:
    return _accuracy() | _speed() | _review_pass()
