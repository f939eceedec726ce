"""Writes of the campaign's life, one module per stage; import the functions from here.

- campaigns.py: drafts (create, validation data), close, expiry
- drafts.py: a draft from an uploaded file (infer, create with its data), edit, delete
- launch.py: the capsule's key pair and version 0, then escrow (two steps)
- gradients.py: submission, rejection
- evaluation.py: advance, (the capsule scores), decide: each waiting gradient in order
- settlement.py: (the capsule delivers), then payouts and refund
- records.py: the one helper that writes Sonar's ledger entries

The pure rules (what a gradient earns, when a gradient is refused) live in sonar_ui/rules.py.
Every function here is one transaction with its ledger entries, so a business write and the
record of it commit or roll back together.
"""

from sonar_ui.services.campaigns import (
    ALGORITHM_TASK,
    campaign_close,
    campaign_close_by_operator,
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
from sonar_ui.services.drafts import (
    campaign_create_from_upload,
    campaign_delete,
    campaign_update,
    upload_max_bytes,
    validation_upload_create,
    validation_upload_get_owned,
)
from sonar_ui.services.evaluation import campaign_evaluate_next, gradient_decide, scoring_enqueue
from sonar_ui.services.gradients import (
    MAX_GRADIENT_BYTES,
    evaluation_enqueue,
    gradient_reject,
    gradient_submit,
)
from sonar_ui.services.launch import campaign_launch, campaign_launch_finish, launch_enqueue
from sonar_ui.services.settlement import (
    campaign_settle,
    campaign_settle_finish,
    settlement_enqueue,
)

__all__ = [
    "ALGORITHM_TASK",
    "MAX_GRADIENT_BYTES",
    "campaign_close",
    "campaign_close_by_operator",
    "campaign_create",
    "campaign_create_from_upload",
    "campaign_current_version",
    "campaign_delete",
    "campaign_evaluate_next",
    "campaign_launch",
    "campaign_launch_finish",
    "campaign_mark_completed",
    "campaign_model",
    "campaign_model_spec",
    "campaign_settle",
    "campaign_settle_finish",
    "campaign_update",
    "campaign_validation_data_upload",
    "campaigns_expire",
    "evaluation_enqueue",
    "fraction_to_ppm",
    "gradient_decide",
    "gradient_reject",
    "gradient_submit",
    "launch_enqueue",
    "scoring_enqueue",
    "settlement_enqueue",
    "upload_max_bytes",
    "validation_data_check_size",
    "validation_upload_create",
    "validation_upload_get_owned",
]
