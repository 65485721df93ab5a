"""Identity ("Super ID"): one profile per person across every identifier.

Deterministic stitching (``stitch_new``) links identifiers seen together into
connected components with guard rails; merges are logged and undoable
(``unmerge``). Other packages import only what ``__all__`` lists.
"""

from cxm.identity.background import BackgroundStitcher
from cxm.identity.errors import IdentityError
from cxm.identity.export import export_links
from cxm.identity.linkage.apply import LinkageSummary, link_records
from cxm.identity.lookup import (
    Identifier,
    current_profile_id,
    find_profile_id,
    identifiers_of,
    identifiers_of_current,
    profile_of_identifier,
)
from cxm.identity.normalise import normalise_identifier
from cxm.identity.resolve import ResolveSummary, resolve_identities
from cxm.identity.reviews import (
    LinkReview,
    accept_review,
    list_reviews,
    reject_review,
    review_records,
)
from cxm.identity.stitch import StitchSummary, stitch_new
from cxm.identity.unmerge import UnmergeResult, unmerge

__all__ = [
    "BackgroundStitcher",
    "Identifier",
    "IdentityError",
    "LinkReview",
    "LinkageSummary",
    "ResolveSummary",
    "StitchSummary",
    "UnmergeResult",
    "accept_review",
    "current_profile_id",
    "export_links",
    "find_profile_id",
    "identifiers_of",
    "identifiers_of_current",
    "link_records",
    "list_reviews",
    "normalise_identifier",
    "profile_of_identifier",
    "reject_review",
    "resolve_identities",
    "review_records",
    "stitch_new",
    "unmerge",
]
