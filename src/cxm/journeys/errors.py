"""The one error every journey query raises on bad input, naming the field."""

from __future__ import annotations

from cxm.errors import FieldError


class JourneyQueryError(FieldError):
    """Bad input to a journey query; ``field`` names the parameter, ``reason`` says why."""
