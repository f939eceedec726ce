"""Writes of the campaign's life, one module per stage; import the functions from here.

- campaigns.py: drafts (create, validation data), close, expiry
- launch.py: escrow, the capsule's key pair and version 0
- gradients.py: submission, rejection
- evaluation.py: score and decide each waiting gradient in order
- settlement.py: delivery, payouts, refund

The pure rules (what a gradient earns, when a gradient is refused) live in sonar_ui/rules.py.
Every function here is one transaction with its ledger entries, so a business write and the
record of it commit or roll back together.
"""

from sonar_ui.services.campaigns import (
    ALGORITHM_TASK,
    campaign_close,
    campaign_create,
    campaign_current_version,
    campaign_mark_completed,
    campaign_model,
    campaign_model_spec,
    campaign_validation_data_upload,
    campaigns_expire,
    fraction_to_ppm,
    validation_data_check_size,
)
from sonar_ui.services.evaluation import campaign_evaluate_next
from sonar_ui.services.gradients import MAX_GRADIENT_BYTES, gradient_reject, gradient_submit
from sonar_ui.services.launch import campaign_launch
from sonar_ui.services.settlement import campaign_settle, settlement_enqueue

__all__ = [
    "ALGORITHM_TASK",
    "MAX_GRADIENT_BYTES",
    "campaign_close",
    "campaign_create",
    "campaign_current_version",
    "campaign_evaluate_next",
    "campaign_launch",
    "campaign_mark_completed",
    "campaign_model",
    "campaign_model_spec",
    "campaign_settle",
    "campaign_validation_data_upload",
    "campaigns_expire",
    "fraction_to_ppm",
    "gradient_reject",
    "gradient_submit",
    "settlement_enqueue",
    "validation_data_check_size",
]
