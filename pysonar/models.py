"""A campaign's encrypted model as a miner receives it, checked before any arithmetic on it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pysonar.errors import MalformedResponse
from syft.encrypted import EncryptedArray
from syft.errors import SyftError
from syft.keys import PaillierPublicKey, public_key_from_dict
from syft.wire import encrypted_from_json


@dataclass(frozen=True)
class CampaignModel:
    """Model version N of a campaign: its public key and its weights encrypted under that key."""

    campaign_id: int
    version: int
    algorithm: str
    n_features: int
    n_classes: int | None  # None for regression
    fit_intercept: bool
    shape: tuple[int, ...]
    public_key: PaillierPublicKey
    weights: EncryptedArray


def _int_field(body: dict[str, Any], name: str, *, minimum: int) -> int:
    value = body.get(name)
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise MalformedResponse(f"{name!r} must be an integer >= {minimum}, not {value!r}")
    return value


def campaign_model_from_json(
    body: Any, *, campaign_id: int, allow_insecure_keys: bool = False
) -> CampaignModel:
    """Validate GET /api/campaigns/{id}/model/ and rebuild its key and ciphertexts."""
    try:
        if not isinstance(body, dict):
            raise MalformedResponse("the body is not a JSON object")
        version = _int_field(body, "version", minimum=0)
        n_features = _int_field(body, "n_features", minimum=1)
        n_classes = (
            None if body.get("n_classes") is None else _int_field(body, "n_classes", minimum=2)
        )
        shape_raw = body.get("shape")
        if not isinstance(shape_raw, list) or not all(
            isinstance(s, int) and not isinstance(s, bool) and s > 0 for s in shape_raw
        ):
            raise MalformedResponse(f"the field 'shape' must be a list of sizes, not {shape_raw!r}")
        algorithm = body.get("algorithm")
        if not isinstance(algorithm, str) or not algorithm:
            raise MalformedResponse("the field 'algorithm' is missing")
        fit_intercept = body.get("fit_intercept")
        if not isinstance(fit_intercept, bool):
            raise MalformedResponse("the field 'fit_intercept' must be true or false")
        public_key = public_key_from_dict(
            body.get("public_key"), allow_insecure_for_tests=allow_insecure_keys
        )
        weights = encrypted_from_json(
            body.get("weights"), public_key=public_key, expected_shape=tuple(shape_raw)
        )
    except (MalformedResponse, SyftError) as exc:
        reason = exc.detail if isinstance(exc, MalformedResponse) else str(exc)
        raise MalformedResponse(
            f"Campaign {campaign_id}'s model is malformed: {reason}. "
            "Nothing was computed on it; report it to the platform operator."
        ) from exc
    return CampaignModel(
        campaign_id=campaign_id,
        version=version,
        algorithm=algorithm,
        n_features=n_features,
        n_classes=n_classes,
        fit_intercept=fit_intercept,
        shape=tuple(shape_raw),
        public_key=public_key,
        weights=weights,
    )
