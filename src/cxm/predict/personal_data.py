"""Where this package's tables keep personal data, for erase and export.

``profile_scores`` and ``winback_candidates`` carry ``profile_id`` and are covered
automatically. ``predict_models`` holds fitted parameters, evaluation figures and a
serialised estimator (tree splits on aggregate features): no identifier of anyone.
"""

from __future__ import annotations

from cxm.privacy.identifier_columns import IdentifierColumns

DECLARED: dict[str, IdentifierColumns] = {}
NO_PERSONAL_DATA: dict[str, str] = {
    "predict_models": "fitted model parameters, evaluation report and estimator; no identifiers",
}
