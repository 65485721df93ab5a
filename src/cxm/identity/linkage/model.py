"""The Splink model: comparisons, blocking rules, training and scoring.

Records from every customer source are deduplicated together (``dedupe_only`` on
one table: links between sources and duplicate accounts within one are the same
question). Training: the chance that two random records match from exact e-mail
and phone matches, u by random sampling; m are fixed priors (``_comparisons``)
because expectation maximisation (``TRAIN_M_WITH_EM``) proved unstable here.
Engine: DuckDB in memory by default; ``spark`` runs the same settings through
Splink's Spark backend for data beyond one machine.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from cxm.identity.errors import IdentityError

BLOCKING_RULES = (
    "l.email = r.email",
    "l.phone = r.phone",
    "l.birth_date = r.birth_date AND substr(l.last_name, 1, 1) = substr(r.last_name, 1, 1)",
    # Swapped first and last names still block together.
    "l.birth_date = r.birth_date AND substr(l.first_name, 1, 1) = substr(r.last_name, 1, 1)",
    "l.postcode = r.postcode AND l.last_name = r.last_name",
    # Records sharing nothing but a name (a shop account and a loyalty card) meet here;
    # the name alone rarely clears the merge threshold, so most go to review. Only
    # names rarer than RARE_NAME_MAX records block this way (``rare_full_name``): a
    # common name's block grows with the square of its count (one name per thousand
    # records made 490M pairs at 1M records), and its pairs rarely clear the
    # threshold on a name anyway. Common names still meet through the other rules.
    "l.rare_full_name = r.rare_full_name AND l.country = r.country",
)
RARE_NAME_MAX = 50
# EM is off: on this kind of data it was unstable (see _comparisons); u is still
# estimated from the data by random sampling, and the prior from exact matches.
TRAIN_M_WITH_EM = False
TRAINING_RULES = ("l.birth_date = r.birth_date", "l.full_name = r.full_name", "l.email = r.email")
# Deterministic rules for the prior (the chance two random records match): an exact
# e-mail or phone, or the same full name and birth date, is almost surely one person.
# The name rule matters when sources do not share e-mail or phone: then the only exact
# contact matches are coincidences (a few reused phone numbers among 170k records), the
# prior came out ~10,000x too small, and true pairs missing one field fell below the
# threshold (recall 0.94 at 100k people, 1.00 at 5k where no coincidence occurred).
PRIOR_RULES: list[Any] = [
    "l.email = r.email",
    "l.phone = r.phone",
    "l.full_name = r.full_name AND l.birth_date = r.birth_date",
]


@dataclass(frozen=True)
class ScoredPair:
    left: int
    right: int
    match_weight: float
    match_probability: float


def _comparisons() -> list[Any]:
    """Comparisons with fixed m priors (the share of true matches at each level, best
    level first): EM on customer data with few fields per source drove levels to
    m = 0 or learned that a shared surname and birth date mean one person."""
    import splink.comparison_library as cl

    return [
        cl.ForenameSurnameComparison(
            "first_name", "last_name", forename_surname_concat_col_name="full_name"
        ).configure(m_probabilities=[0.80, 0.03, 0.08, 0.03, 0.03, 0.02, 0.01]),
        cl.DateOfBirthComparison("birth_date", input_is_string=True).configure(
            m_probabilities=[0.90, 0.04, 0.01, 0.01, 0.02, 0.02]
        ),
        cl.EmailComparison("email").configure(m_probabilities=[0.70, 0.05, 0.05, 0.05, 0.15]),
        cl.ExactMatch("phone").configure(m_probabilities=[0.85, 0.15]),
        cl.LevenshteinAtThresholds("postcode", 1).configure(m_probabilities=[0.85, 0.05, 0.10]),
    ]


def _db_api(engine: str) -> Any:
    if engine == "duckdb":
        from splink import DuckDBAPI

        return DuckDBAPI(":memory:")
    if engine == "spark":
        try:
            from pyspark.sql import SparkSession
            from splink import SparkAPI
        except ImportError as error:
            raise IdentityError(
                "identity_linkage_engine", "spark needs pyspark installed (pip install pyspark)"
            ) from error
        return SparkAPI(spark_session=SparkSession.builder.getOrCreate())  # type: ignore[no-untyped-call]
    raise IdentityError("identity_linkage_engine", f"unknown engine {engine!r}: duckdb or spark")


def score_pairs(
    records: pa.Table,
    engine: str,
    min_probability: float,
    step: Callable[[str], None] | None = None,
) -> list[ScoredPair]:
    """Pairs of ``records`` (a table with ``unique_id`` and the feature columns)
    scoring at least ``min_probability``."""
    from splink import Linker, SettingsCreator

    def tell(message: str) -> None:
        if step is not None:
            step(message)

    if records.num_rows < 2:
        return []
    db_api = _db_api(engine)
    settings = SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="unique_id",
        comparisons=_comparisons(),
        blocking_rules_to_generate_predictions=[{"blocking_rule": r} for r in BLOCKING_RULES],
        retain_intermediate_calculation_columns=False,
        retain_matching_columns=False,
    )
    frame = db_api.register(records, dataset_display_name="customer_records")
    linker = Linker(frame, settings, log_level=logging.ERROR)
    tell("training: prior")
    try:
        linker.training.estimate_probability_two_random_records_match(PRIOR_RULES, recall=0.6)
    except Exception:  # tiny inputs: keep Splink's default prior
        logging.getLogger(__name__).info("prior estimation failed; default prior kept")
    prior = linker._settings_obj._probability_two_random_records_match
    if not 0 < prior < 1:
        # No exact e-mail/phone matches to count: assume each record has about one
        # duplicate among the others, the usual order of magnitude for customer data.
        linker._settings_obj._probability_two_random_records_match = 1 / records.num_rows
    tell("training: u (random sampling)")
    linker.training.estimate_u_using_random_sampling(max_pairs=1e6, seed=7)
    if TRAIN_M_WITH_EM:
        for rule in TRAINING_RULES:
            tell(f"training: m (EM blocked on {rule})")
            try:
                linker.training.estimate_parameters_using_expectation_maximisation(rule)
            except Exception:  # EM needs enough pairs; the priors stand otherwise
                logging.getLogger(__name__).info("EM blocked on %s failed", rule)
    tell("scoring pairs")
    predictions = linker.inference.predict(threshold_match_probability=min_probability)
    table = predictions.as_pyarrow_table()  # type: ignore[no-untyped-call]
    left = table.column("unique_id_l").to_pylist()
    right = table.column("unique_id_r").to_pylist()
    weight = table.column("match_weight").to_pylist()
    probability = table.column("match_probability").to_pylist()
    return [
        ScoredPair(int(a), int(b), float(w), float(p))
        for a, b, w, p in zip(left, right, weight, probability, strict=True)
    ]
