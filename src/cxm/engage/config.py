"""Engage settings, read from ``CXM_ENGAGE_*`` environment variables.

Kept in this package (not ``cxm.settings``) so the stage owns its configuration;
every field has a laptop-safe default and a description, as the shared settings do.
"""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class EngageSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CXM_ENGAGE_", extra="ignore")

    worker: bool = Field(
        default=True, description="Run the engage worker (journeys, segments, dispatcher) in serve."
    )
    notify: bool = Field(
        default=False,
        description=(
            "With worker=false on PostgreSQL: hand committed events to a separate "
            "`cxm engage worker` process (LISTEN/NOTIFY) instead of running it in serve."
        ),
    )
    smtp_host: str = Field(default="127.0.0.1", description="SMTP server for e-mail actions.")
    smtp_port: int = Field(default=1025, description="SMTP port (1025: a local test sink).")
    smtp_sender: str = Field(default="hello@lumen.example", description="From: address.")
    sms_url: str = Field(
        default="",
        description="HTTP provider URL for SMS/messaging actions ('' = not configured).",
    )
    sms_template: str = Field(
        default='{"to": "$to", "text": "$text"}',
        description="Body posted to the SMS provider ($to, $text substituted, JSON-escaped).",
    )
    webhook_secret: str = Field(
        default="",
        description="HMAC-SHA256 key for webhook signatures ('' = a generated, stored one).",
    )
    quiet_start: str = Field(default="21:00", description="Quiet hours start (local time).")
    quiet_end: str = Field(default="08:00", description="Quiet hours end (local time).")
    default_timezone: str = Field(
        default="UTC", description="Time zone when a person has no timezone trait or country."
    )
    cap_channel_day: int = Field(default=2, description="Most sends per channel per day.")
    cap_channel_week: int = Field(default=5, description="Most sends per channel per week.")
    cap_total_day: int = Field(default=3, description="Most sends over all channels per day.")
    cap_total_week: int = Field(default=8, description="Most sends over all channels per week.")
    max_attempts: int = Field(default=5, description="Delivery tries before dead-letter.")
    backoff_seconds: float = Field(
        default=2.0, description="First retry delay; doubles per attempt (exponential)."
    )
    claim_lease_seconds: float = Field(
        default=30.0,
        description="A claimed row not acknowledged within this is claimed again (crash).",
    )
    send_timeout_seconds: float = Field(default=5.0, description="HTTP/SMTP timeout per send.")
    sink_dir: str = Field(
        default="",
        description=(
            "When set, e-mail, SMS and webhook sends are appended as JSON lines to files in "
            "this directory instead of leaving the machine (the demo's local sink)."
        ),
    )
    poll_seconds: float = Field(
        default=0.02, description="How often the worker looks for due runs and outbox rows."
    )


@lru_cache(maxsize=1)
def get_engage_settings() -> EngageSettings:
    return EngageSettings()
