"""The formulas CXM commits to, each written once (see DESIGN.md "Formulas we commit to").

Pure functions over counts or scores, no storage: the KPI catalogue, the survey reports,
journey reports and uplift measurement all call these, so a definition cannot drift
between two pages. Each docstring names the source of the definition.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from statistics import NormalDist
from typing import Literal

# The NPS margin of error is committed with 1.96 exactly (DESIGN.md), so reports match a
# hand calculation; intervals at other confidence levels use the exact normal quantile.
NPS_Z95 = 1.96


def _z(confidence: float) -> float:
    if not 0 < confidence < 1:
        raise ValueError("confidence: must be between 0 and 1")
    return NormalDist().inv_cdf(0.5 + confidence / 2)


def _two_sided_p(z: float) -> float:
    return math.erfc(abs(z) / math.sqrt(2))


# --- Net Promoter Score ---------------------------------------------------------------


@dataclass(frozen=True)
class NpsResult:
    """NPS on the −100…100 scale with its 95% margin of error (in NPS points)."""

    score: float
    n: int
    promoters: int
    passives: int
    detractors: int
    margin_of_error: float

    @property
    def low(self) -> float:
        return max(-100.0, self.score - self.margin_of_error)

    @property
    def high(self) -> float:
        return min(100.0, self.score + self.margin_of_error)

    @property
    def variance(self) -> float:
        """Variance of the promoter−detractor difference on the −1…1 scale, per answer."""
        if self.n == 0:
            return 0.0
        p, d = self.promoters / self.n, self.detractors / self.n
        return p + d - (p - d) ** 2


def nps_group(score: float) -> Literal["promoter", "passive", "detractor"]:
    """Promoters answer 9–10, passives 7–8, detractors 0–6 (Reichheld 2003)."""
    if not 0 <= score <= 10:
        raise ValueError(f"score: an NPS answer is 0–10, not {score}")
    if score >= 9:
        return "promoter"
    return "passive" if score >= 7 else "detractor"


def nps_from_counts(promoters: int, passives: int, detractors: int) -> NpsResult:
    """NPS = 100·(promoters − detractors)/answered, margin of error
    1.96·100·√((p + d − (p − d)²)/n): the normal approximation of the difference of two
    proportions from one multinomial sample (DESIGN.md; e.g. Rocks, "The margin of error of
    the Net Promoter Score", 2016)."""
    if min(promoters, passives, detractors) < 0:
        raise ValueError("counts: must not be negative")
    n = promoters + passives + detractors
    if n == 0:
        return NpsResult(0.0, 0, 0, 0, 0, 0.0)
    p, d = promoters / n, detractors / n
    margin = NPS_Z95 * 100 * math.sqrt((p + d - (p - d) ** 2) / n)
    return NpsResult(100 * (p - d), n, promoters, passives, detractors, margin)


def nps(scores: Iterable[float]) -> NpsResult:
    groups = Counter(nps_group(s) for s in scores)
    return nps_from_counts(groups["promoter"], groups["passive"], groups["detractor"])


@dataclass(frozen=True)
class Comparison:
    """Difference a − b with a two-sided z test and a confidence interval."""

    difference: float
    low: float
    high: float
    z: float
    p_value: float

    def significant(self, alpha: float = 0.05) -> bool:
        return self.p_value < alpha


def compare_nps(a: NpsResult, b: NpsResult, confidence: float = 0.95) -> Comparison:
    """Two independent samples (two periods or segments): the NPS difference with a z test
    on var(a)/n_a + var(b)/n_b, the same variance the margin of error uses."""
    if a.n == 0 or b.n == 0:
        raise ValueError("n: both samples need at least one answer")
    se = 100 * math.sqrt(a.variance / a.n + b.variance / b.n)
    difference = a.score - b.score
    if se == 0:
        z = 0.0 if difference == 0 else math.copysign(math.inf, difference)
        return Comparison(difference, difference, difference, z, 1.0 if z == 0 else 0.0)
    z = difference / se
    half = _z(confidence) * se
    return Comparison(difference, difference - half, difference + half, z, _two_sided_p(z))


# --- Proportions: CSAT, rates, uplift ---------------------------------------------------


@dataclass(frozen=True)
class Rate:
    """A proportion in percent with its Wilson score interval (also in percent)."""

    percent: float
    successes: int
    n: int
    low: float
    high: float


def wilson_interval(successes: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson (1927) score interval for a binomial proportion, as fractions 0…1. Better
    than the Wald interval near 0 or 1 and for small n (Brown, Cai & DasGupta 2001)."""
    if n <= 0:
        raise ValueError("n: must be positive")
    if not 0 <= successes <= n:
        raise ValueError("successes: must be between 0 and n")
    z = _z(confidence)
    phat = successes / n
    denominator = 1 + z * z / n
    centre = (phat + z * z / (2 * n)) / denominator
    half = z * math.sqrt(phat * (1 - phat) / n + z * z / (4 * n * n)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


def rate(successes: int, n: int, confidence: float = 0.95) -> Rate:
    if n == 0:
        return Rate(0.0, 0, 0, 0.0, 0.0)
    low, high = wilson_interval(successes, n, confidence)
    return Rate(100 * successes / n, successes, n, 100 * low, 100 * high)


def compare_rates(
    successes_a: int, n_a: int, successes_b: int, n_b: int, confidence: float = 0.95
) -> Comparison:
    """Difference of two independent proportions a − b in percentage points: Newcombe's
    (1998, method 10) interval from the two Wilson intervals, and the pooled two-proportion
    z test. Used for uplift (treated vs holdout) and period-over-period rate changes."""
    if n_a <= 0 or n_b <= 0:
        raise ValueError("n: both groups need at least one member")
    pa, pb = successes_a / n_a, successes_b / n_b
    la, ua = wilson_interval(successes_a, n_a, confidence)
    lb, ub = wilson_interval(successes_b, n_b, confidence)
    difference = pa - pb
    low = difference - math.sqrt((pa - la) ** 2 + (ub - pb) ** 2)
    high = difference + math.sqrt((ua - pa) ** 2 + (pb - lb) ** 2)
    pooled = (successes_a + successes_b) / (n_a + n_b)
    se = math.sqrt(pooled * (1 - pooled) * (1 / n_a + 1 / n_b))
    z = 0.0 if se == 0 else difference / se
    return Comparison(100 * difference, 100 * low, 100 * high, z, _two_sided_p(z))


def csat(scores: Iterable[float], scale: int = 5) -> Rate:
    """CSAT = share of answers in the top two boxes, in percent: 4–5 on the usual 5-point
    scale (ACSI/industry convention). On other scales the top two points of the scale
    count (6–7 on 7 points, 9–10 on 10 points); use a 5-point scale where you can."""
    if scale < 3:
        raise ValueError("scale: needs at least 3 points")
    values = list(scores)
    for value in values:
        if not 1 <= value <= scale:
            raise ValueError(f"score: a {scale}-point CSAT answer is 1–{scale}, not {value}")
    return rate(sum(1 for v in values if v >= scale - 1), len(values))


@dataclass(frozen=True)
class CesResult:
    """Customer Effort Score on the 7-point CES 2.0 agreement scale ("The company made it
    easy for me to handle my issue": 1 strongly disagree … 7 strongly agree)."""

    mean: float
    n: int
    agree: Rate  # share answering 5–7 (agree somewhat … strongly agree)


def ces(scores: Iterable[float], scale: int = 7) -> CesResult:
    """CES = mean answer, and % agree = share of 5–7 on the 7-point scale (Dixon, Toman &
    DeLisi, "The Effortless Experience", 2013). Higher is easier (lower effort). On other
    scales "agree" is the top ⌈scale·3/7⌉ points."""
    values = list(scores)
    for value in values:
        if not 1 <= value <= scale:
            raise ValueError(f"score: a {scale}-point CES answer is 1–{scale}, not {value}")
    if not values:
        return CesResult(0.0, 0, rate(0, 0))
    top = math.ceil(scale * 3 / 7)
    agree = sum(1 for v in values if v > scale - top)
    return CesResult(sum(values) / len(values), len(values), rate(agree, len(values)))


# --- Kano ---------------------------------------------------------------------------

KanoAnswer = Literal["like", "must-be", "neutral", "live-with", "dislike"]
KanoCategory = Literal["A", "O", "M", "I", "R", "Q"]
KANO_ANSWERS: tuple[KanoAnswer, ...] = ("like", "must-be", "neutral", "live-with", "dislike")
KANO_NAMES: dict[KanoCategory, str] = {
    "A": "Attractive",
    "O": "One-dimensional",
    "M": "Must-be",
    "I": "Indifferent",
    "R": "Reverse",
    "Q": "Questionable",
}
# The standard evaluation table (Kano et al. 1984; Berger et al. 1993): rows are the
# answer to the functional question, columns the dysfunctional one, both in KANO_ANSWERS order.
KANO_TABLE: dict[KanoAnswer, tuple[KanoCategory, ...]] = {
    "like": ("Q", "A", "A", "A", "O"),
    "must-be": ("R", "I", "I", "I", "M"),
    "neutral": ("R", "I", "I", "I", "M"),
    "live-with": ("R", "I", "I", "I", "M"),
    "dislike": ("R", "R", "R", "R", "Q"),
}
# Ties between the most frequent categories go to the one that matters most for the
# product (Berger et al. 1993: M > O > A > I), then R and Q.
_KANO_TIE_ORDER: tuple[KanoCategory, ...] = ("M", "O", "A", "I", "R", "Q")


def kano_category(functional: str, dysfunctional: str) -> KanoCategory:
    if functional not in KANO_TABLE:
        raise ValueError(f"functional: {functional!r} is not one of {', '.join(KANO_ANSWERS)}")
    if dysfunctional not in KANO_ANSWERS:
        raise ValueError(
            f"dysfunctional: {dysfunctional!r} is not one of {', '.join(KANO_ANSWERS)}"
        )
    row = KANO_TABLE[functional]  # type: ignore[index]
    return row[KANO_ANSWERS.index(dysfunctional)]  # type: ignore[arg-type]


@dataclass(frozen=True)
class KanoResult:
    counts: dict[KanoCategory, int]
    category: KanoCategory | None
    better: float  # (A+O)/(A+O+M+I), 0…1
    worse: float  # −(O+M)/(A+O+M+I), −1…0
    n: int

    @property
    def category_name(self) -> str | None:
        return KANO_NAMES[self.category] if self.category else None


def kano_from_counts(counts: dict[KanoCategory, int]) -> KanoResult:
    """A feature's category (the most frequent) and the customer-satisfaction coefficients
    Better = (A+O)/(A+O+M+I), Worse = −(O+M)/(A+O+M+I) (Berger et al. 1993)."""
    full: dict[KanoCategory, int] = {c: int(counts.get(c, 0)) for c in _KANO_TIE_ORDER}
    n = sum(full.values())
    category = None
    if n:
        category = max(_KANO_TIE_ORDER, key=lambda c: (full[c], -_KANO_TIE_ORDER.index(c)))
    a, o, m, i = full["A"], full["O"], full["M"], full["I"]
    base = a + o + m + i
    better = (a + o) / base if base else 0.0
    worse = -(o + m) / base if base else 0.0
    return KanoResult(full, category, better, worse, n)


def kano(pairs: Iterable[tuple[str, str]]) -> KanoResult:
    """From (functional, dysfunctional) answer pairs of one feature."""
    return kano_from_counts(Counter(kano_category(f, d) for f, d in pairs))


# --- Customer base ------------------------------------------------------------------


def retention_rate(customers_at_start: int, customers_at_end: int, new_customers: int) -> float:
    """Customer retention rate = (E − N)/S × 100: customers at the end of the period minus
    those acquired during it, over those at its start. (A widely read CX article prints
    the denominator as N, the new customers; that is a misprint.)"""
    if customers_at_start <= 0:
        raise ValueError("customers_at_start: must be positive")
    if min(customers_at_end, new_customers) < 0:
        raise ValueError("counts: must not be negative")
    return 100 * (customers_at_end - new_customers) / customers_at_start


def churn_rate(customers_at_start: int, customers_lost: int) -> float:
    """Churn rate = customers lost during the period / customers at its start × 100."""
    if customers_at_start <= 0:
        raise ValueError("customers_at_start: must be positive")
    if not 0 <= customers_lost <= customers_at_start:
        raise ValueError("customers_lost: must be between 0 and customers_at_start")
    return 100 * customers_lost / customers_at_start
