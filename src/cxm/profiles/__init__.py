"""The unified profile ("customer 360"): traits with survivorship, value, lifecycle,
consent and one timeline across channels, all derived on read from the rows that
carry the person's ``profile_id``.

Other packages import only what is listed in ``__all__``.
"""

from cxm.profiles.lookup import get_profile
from cxm.profiles.model import (
    Lifecycle,
    Profile,
    ProfileIdentifier,
    ProfileSummary,
    SpendByCurrency,
    TimelineEntry,
    TimelinePage,
    Trait,
    ValueAssessment,
)
from cxm.profiles.search import SearchError, search_profiles
from cxm.profiles.survivorship import TRAIT_RULES, Observation, TraitRule, resolve_traits
from cxm.profiles.timeline import (
    TimelineAdapter,
    TimelineError,
    load_timeline,
    register_adapter,
)
from cxm.profiles.value import LifecycleRules

__all__ = [
    "TRAIT_RULES",
    "Lifecycle",
    "LifecycleRules",
    "Observation",
    "Profile",
    "ProfileIdentifier",
    "ProfileSummary",
    "SearchError",
    "SpendByCurrency",
    "TimelineAdapter",
    "TimelineEntry",
    "TimelineError",
    "TimelinePage",
    "Trait",
    "TraitRule",
    "ValueAssessment",
    "get_profile",
    "load_timeline",
    "register_adapter",
    "resolve_traits",
    "search_profiles",
]
