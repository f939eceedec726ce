"""pysonar: the Python client of the OpenMined Sonar REST API (no Django needed).

from pysonar import SonarClient
sonar = SonarClient("https://sonar.example.org", username="alice", password="...")
for campaign in sonar.campaigns_open():
    print(campaign["name"], campaign["best_accuracy"])
"""

from pysonar.client import SonarClient
from pysonar.errors import MalformedResponse, SonarError, SonarUnavailable
from pysonar.models import CampaignModel
from pysonar.predict import DeliveredModel, model_load, predict
from pysonar.retry import NO_RETRY, RetryPolicy

__all__ = [
    "NO_RETRY",
    "CampaignModel",
    "DeliveredModel",
    "MalformedResponse",
    "RetryPolicy",
    "SonarClient",
    "SonarError",
    "SonarUnavailable",
    "model_load",
    "predict",
]
