"""Errors of campaigns and gradients, each a sentence for the person who caused it."""

from __future__ import annotations

from openmined.errors import DomainError


class CampaignError(DomainError):
    """Something about a campaign request is wrong."""


class CampaignNotFoundError(CampaignError):
    code = "not_found"
    status_code = 404


class CampaignForbiddenError(CampaignError):
    code = "permission_denied"
    status_code = 403


class CampaignStateError(CampaignError):
    """The campaign is not in a state that allows this (a closed campaign, a launched draft)."""

    code = "campaign_state"
    status_code = 409


class GradientError(DomainError):
    """A submitted gradient is unusable."""


class IdempotencyKeyReusedError(DomainError):
    code = "idempotency_key_reused"
    status_code = 409
