"""The error that stops a whole import (as opposed to a bad row, which is quarantined)."""

from __future__ import annotations


class ImportFileError(Exception):
    """The file cannot be imported: missing, unreadable, unknown format or missing columns."""
