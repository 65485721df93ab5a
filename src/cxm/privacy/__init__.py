"""Data-subject rights: export and erase a person, erase receipts, pseudonymised analytics.

Consent and preferences live in this package too (``consent*.py``,
``preferences.py``); import them from their modules.
"""

from cxm.privacy.coverage import declared_tables, no_personal_data_tables, uncovered_tables
from cxm.privacy.erase import EraseReceipt, erase_person, list_receipts
from cxm.privacy.export import PersonNotFound, export_json, export_person
from cxm.privacy.subject import Subject, SubjectError, find_subject

__all__ = [
    "EraseReceipt",
    "PersonNotFound",
    "Subject",
    "SubjectError",
    "declared_tables",
    "erase_person",
    "export_json",
    "export_person",
    "find_subject",
    "list_receipts",
    "no_personal_data_tables",
    "uncovered_tables",
]
