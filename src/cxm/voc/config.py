"""Settings of the voc stage, read from ``CXM_VOC_*`` environment variables.

Kept beside the stage rather than in ``cxm.settings`` so the foundation's settings
file does not grow with every stage; each has a default that works on a laptop.
"""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class VocSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CXM_VOC_", extra="ignore")

    recontact_days: float = Field(
        default=7.0, description="Global cooldown: no second survey invitation within N days."
    )
    quiet_start_hour: int = Field(
        default=21, description="Quiet hours start (UTC hour); invitations wait until they end."
    )
    quiet_end_hour: int = Field(default=8, description="Quiet hours end (UTC hour).")
    link_days: int = Field(default=30, description="How long a personal survey link is valid.")
    public_url: str = Field(
        default="http://127.0.0.1:8000", description="Base URL personal survey links point at."
    )
    default_owner: str = Field(
        default="cx-team", description="Case owner when a survey's routing names none."
    )
    smtp_host: str | None = Field(default=None, description="SMTP server for case alerts.")
    smtp_port: int = Field(default=25, description="SMTP port.")
    smtp_from: str = Field(default="cxm@localhost", description="Sender of alert e-mails.")
    worker_interval_seconds: float = Field(
        default=5.0, description="How often `cxm serve` runs survey triggers (0 disables)."
    )


def voc_settings() -> VocSettings:
    return VocSettings()
