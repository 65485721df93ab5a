"""One typed set of settings, read from ``CXM_*`` environment variables.

Every setting has a default that works on a laptop with nothing else installed.
``tests/test_settings.py`` fails when a setting lacks a description, so this
file doubles as the configuration reference.
"""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CXM_", extra="ignore")

    database_url: str = Field(
        default="duckdb:///cxm.duckdb",
        description=(
            "Where data lives: 'duckdb:///path/file.duckdb' (embedded default) or "
            "'postgresql://user@host:port/db' for a server deployment."
        ),
    )
    host: str = Field(default="127.0.0.1", description="Address `cxm serve` binds to.")
    port: int = Field(default=8000, description="Port `cxm serve` listens on.")
    max_event_bytes: int = Field(
        default=32 * 1024, description="Largest accepted single event (Segment: 32 KB)."
    )
    max_batch_bytes: int = Field(
        default=500 * 1024, description="Largest accepted batch request (Segment: 500 KB)."
    )
    commit_max_rows: int = Field(
        default=50_000,
        description="Most rows one group commit writes; larger waits are split.",
    )
    commit_gather_ms: float = Field(
        default=2.0,
        description=(
            "Under concurrent load, how long the group-commit writer waits for more "
            "requests before committing (more per commit, fewer commits; 0 disables)."
        ),
    )
    session_timeout_minutes: int = Field(
        default=30, description="Inactivity that ends a web/app session (GA4 default: 30)."
    )
    identity_max_emails: int = Field(
        default=3, description="Most e-mail addresses one person may have; more never merge."
    )
    identity_max_phones: int = Field(
        default=3, description="Most phone numbers one person may have; more never merge."
    )
    identity_max_user_ids: int = Field(
        default=1, description="Most free user ids (not a known record id) per person."
    )
    identity_max_records_per_source: int = Field(
        default=3,
        description="Most records of one customer source per person (duplicate accounts).",
    )
    identity_shared_threshold: int = Field(
        default=5,
        description=(
            "An identifier linked to more distinct people than this (a shared device, a "
            "store's default phone, a call-centre number) is marked shared and never merges."
        ),
    )
    identity_phone_regions: str = Field(
        default="US,GB,DE,CN",
        description="Regions tried in order for national phone numbers with no country.",
    )
    identity_stitch_interval_seconds: float = Field(
        default=0.5,
        description="How often the server stitches new events to profiles (0 turns it off).",
    )
    identity_match_probability: float = Field(
        default=0.99,
        description="Probable record links at or above this match probability merge.",
    )
    identity_review_probability: float = Field(
        default=0.80,
        description="Probable links between this and the merge threshold go to review.",
    )
    identity_linkage_engine: str = Field(
        default="duckdb",
        description="Splink engine for probabilistic linkage: duckdb (default) or spark.",
    )
    auth_required: bool = Field(
        default=True,
        description=(
            "When true, every /v1 route except collection needs an API key or a signed-in "
            "user with the right scope, and pages need a login. False only for a laptop."
        ),
    )
    secret_key: str = Field(
        default="",
        description=(
            "Signs session cookies. Empty: one is generated and kept in the database "
            "(auth_secrets), shared by every process using it."
        ),
    )
    session_hours: int = Field(default=12, description="How long a web login lasts.")
    tracker_consent_required: bool = Field(
        default=False,
        description="When true, /cxm.js tracks nothing until the page grants consent.",
    )
    consent_defaults: dict[str, str] = Field(
        default_factory=dict,
        description=(
            "Consent when a person recorded nothing, per purpose, as JSON, e.g. "
            '{"surveys": "granted"}: granted, denied or tracker (follow '
            "CXM_TRACKER_CONSENT_REQUIRED). Unlisted purposes keep the GDPR-safe "
            "defaults: analytics=tracker, personalisation/marketing/surveys=denied."
        ),
    )
    preference_link_days: int = Field(
        default=30, description="How long a signed preference-centre link stays valid."
    )
    source_trust: list[str] = Field(
        default_factory=lambda: ["crm", "loyalty", "shop"],
        description=(
            "Sources in order of trust for profile traits ruled 'most trusted' (JSON "
            'list, e.g. ["crm", "shop"]); unlisted sources rank after them.'
        ),
    )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
