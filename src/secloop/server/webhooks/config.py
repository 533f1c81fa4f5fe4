"""Webhook targets as configured in the server settings (a trust boundary: pydantic)."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator


class EventType(StrEnum):
    """What a webhook can be told about."""

    NEW_CRITICAL = "finding.new_critical"  # an ingest created critical findings
    SLA_BREACH = "finding.sla_breach"  # an active finding went past its due date
    STATUS_CHANGE = "finding.status_change"  # a finding's status changed


class WebhookTarget(BaseModel):
    """One receiver: where to POST, the HMAC secret, which events, which projects."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_.-]+$")
    url: str = Field(min_length=8, max_length=2000)
    secret: SecretStr = Field(min_length=16)
    events: tuple[EventType, ...] = tuple(EventType)
    projects: tuple[str, ...] = ()  # empty: every project

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.lower().startswith(("https://", "http://")):
            raise ValueError("a webhook URL must start with https:// or http://")
        return value

    def wants(self, event: EventType, project: str) -> bool:
        return event in self.events and (not self.projects or project in self.projects)
