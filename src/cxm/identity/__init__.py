"""Identity ("Super ID"): one profile per person across every identifier.

Deterministic stitching (``stitch_new``) links identifiers seen together into
connected components with guard rails; merges are logged and undoable
(``unmerge``). Other packages import only what ``__all__`` lists.
"""

from cxm.identity.errors import IdentityError
from cxm.identity.lookup import Identifier, current_profile_id, find_profile_id, identifiers_of
from cxm.identity.normalise import normalise_identifier
from cxm.identity.stitch import StitchSummary, stitch_new
from cxm.identity.unmerge import UnmergeResult, unmerge

__all__ = [
    "Identifier",
    "IdentityError",
    "StitchSummary",
    "UnmergeResult",
    "current_profile_id",
    "find_profile_id",
    "identifiers_of",
    "normalise_identifier",
    "stitch_new",
    "unmerge",
]
