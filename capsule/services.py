"""The capsule's whole surface: the only module (with tasks) other apps may import from capsule.

Private keys are made, used and destroyed here and nowhere else; what leaves is public keys,
ciphertext blob addresses, scores in [0, 1], and the final model for its owner.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass

import numpy as np
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import Profile
from accounts.pgp import PgpKeyError, pgp_encrypt_to
from capsule import cache, custody, sealing
from capsule.artifact import artifact_build
from capsule.errors import (
    CapsuleError,
    DeliveryError,
    KeyUnavailableError,
    ModelBlobError,
    ValidationDataError,
)
from capsule.models import CampaignKey, CapsuleIdentity, ModelDelivery, ValidationSet
from capsule.validation import ValidationTable, validation_table_read
from ledger.errors import BlobIntegrityError, BlobNotFoundError
from ledger.services import blob_get, blob_put, ledger_append
from syft.encrypted import EncryptedArray
from syft.errors import KeyMismatchError, ShapeMismatchError, SyftError
from syft.keys import (
    PaillierPrivateKey,
    PaillierPublicKey,
    keypair_generate,
    private_key_from_bytes,
    private_key_to_bytes,
    public_key_fingerprint,
    public_key_from_dict,
    public_key_to_dict,
)
from syft.models import model_for
from syft.wire import encrypted_loads, encrypted_to_bytes

__all__ = [
    "CapsuleError",
    "Delivery",
    "DeliveryError",
    "KeyUnavailableError",
    "ModelBlobError",
    "ModelSpec",
    "ValidationDataError",
    "ValidationSummary",
    "delivery_for",
    "keypair_create",
    "keypair_retire",
    "model_deliver",
    "model_encrypt_initial",
    "model_refresh",
    "model_score",
    "public_key_for",
    "validation_data_store",
    "validation_data_summary",
]


@dataclass(frozen=True)
class ModelSpec:
    """The model a campaign trains: what the capsule needs to decrypt and score it."""

    algorithm: str
    n_features: int
    n_classes: int | None = None
    fit_intercept: bool = True


@dataclass(frozen=True)
class ValidationSummary:
    """What may be said about stored validation data: its size, columns and checksum."""

    rows: int
    columns: list[str]
    sha256: str


@dataclass(frozen=True)
class Delivery:
    """The final model artifact for its owner: PGP-armored when the owner registered a key."""

    filename: str
    content_type: str
    data: bytes
    pgp_fingerprint: str
    sha256: str


# --- Capsule GPG key ----------------------------------------------------------------------------


def _capsule_recipient(*, what: str) -> str:
    """The capsule GPG key to wrap to, made on first use unless existing data needs another."""
    fingerprint = custody.capsule_key_fingerprint()
    if fingerprint:
        return fingerprint
    # An empty home next to wrapped rows means the key was lost or never copied to this
    # machine: a fresh key would split the data between two keys, so refuse instead.
    stranded = (
        set(
            CampaignKey.objects.filter(retired_at__isnull=True).values_list("wrapped_to", flat=True)
        )
        | set(
            ValidationSet.objects.filter(destroyed_at__isnull=True).values_list(
                "wrapped_to", flat=True
            )
        )
        | set(ModelDelivery.objects.exclude(wrapped_to="").values_list("wrapped_to", flat=True))
    )
    if stranded:
        raise KeyUnavailableError(
            f"Cannot store {what}: CAPSULE_GNUPGHOME ({settings.CAPSULE_GNUPGHOME}) holds no "
            f"capsule GPG key, but stored keys and data are wrapped to "
            f"{', '.join(sorted(stranded))}. Restore the capsule's GPG home from its backup "
            "(or copy it to this machine) instead of letting the capsule make a new key."
        )
    return custody.capsule_key_create()


def capsule_identity_publish() -> str:
    """Make the capsule's GPG key if needed and publish its public half; capsule role only."""
    fingerprint = _capsule_recipient(what="the capsule's published key")
    if not CapsuleIdentity.objects.filter(fingerprint=fingerprint).exists():
        CapsuleIdentity.objects.get_or_create(
            fingerprint=fingerprint,
            defaults={"armored_public_key": custody.capsule_key_export(fingerprint)},
        )
    return fingerprint


def capsule_identity() -> CapsuleIdentity:
    """The capsule's published public key, to encrypt to; any process may ask."""
    identity = CapsuleIdentity.objects.order_by("-published_at").first()
    if identity is None or (
        settings.HAS_CAPSULE_ROLE and identity.fingerprint != custody.capsule_key_fingerprint()
    ):
        if not settings.HAS_CAPSULE_ROLE:
            raise KeyUnavailableError(
                "The capsule has not published its public key yet, so nothing can be encrypted "
                "to it. Start a capsule worker (SONAR_ROLES=capsule celery -A openmined worker "
                "-Q capsule); it publishes the key when it starts. Then try again."
            )
        capsule_identity_publish()
        identity = CapsuleIdentity.objects.get(fingerprint=custody.capsule_key_fingerprint())
    return identity


# --- Validation data ----------------------------------------------------------------------------


def validation_data_store(
    *,
    campaign_id: int,
    input_schema: list[dict],
    output_schema: list[dict],
    data: bytes,
    adapter: str = "csv",
) -> ValidationSummary:
    """Check the validation file against the schemas and keep it encrypted to the capsule."""
    if CampaignKey.objects.filter(campaign_id=campaign_id).exists():
        raise ValidationDataError(
            f"Campaign {campaign_id} has launched; its validation data can no longer change "
            "(every score so far was measured on the stored set)."
        )
    data = bytes(data)
    table = validation_table_read(
        campaign_id=campaign_id,
        input_schema=input_schema,
        output_schema=output_schema,
        data=data,
        adapter=adapter,
    )
    what = f"the validation data of campaign {campaign_id}"
    # Encrypted to the capsule's published public key: the web process that received the
    # upload cannot read it back, and only capsule processes hold the secret half.
    identity = capsule_identity()
    recipient = identity.fingerprint
    wrapped = custody.public_wrap(
        data=data,
        armored_public_key=identity.armored_public_key,
        fingerprint=recipient,
        what=what.capitalize(),
    )
    wrapped_sha256 = hashlib.sha256(wrapped).hexdigest()
    summary = ValidationSummary(
        rows=table.n_rows, columns=table.columns, sha256=hashlib.sha256(data).hexdigest()
    )
    with transaction.atomic():
        ValidationSet.objects.update_or_create(
            campaign_id=campaign_id,
            defaults={
                "adapter": adapter,
                "input_schema": input_schema,
                "output_schema": output_schema,
                "wrapped_data": wrapped,
                "wrapped_sha256": wrapped_sha256,
                "wrapped_to": recipient,
                "rows": summary.rows,
                "columns": summary.columns,
                "sha256": summary.sha256,
                "destroyed_at": None,
            },
        )
    cache.validation_sets.discard_campaign(campaign_id)
    cache.validation_sets.put((campaign_id, wrapped_sha256), table)
    return summary


def validation_data_summary(*, campaign_id: int) -> ValidationSummary | None:
    """Rows, columns and checksum of the campaign's validation data, or None if none is stored."""
    row = (
        ValidationSet.objects.filter(campaign_id=campaign_id)
        .only("rows", "columns", "sha256")
        .first()
    )
    if row is None:
        return None
    return ValidationSummary(rows=row.rows, columns=list(row.columns), sha256=row.sha256)


def _validation_table(*, campaign_id: int, n_features: int) -> ValidationTable:
    """The parsed validation set, from this process's cache or unwrapped from the database."""
    row = ValidationSet.objects.filter(campaign_id=campaign_id).defer("wrapped_data").first()
    if row is None:
        raise ValidationDataError(
            f"Campaign {campaign_id} has no validation data; models cannot be scored without it."
        )
    if row.destroyed_at is not None:
        raise ValidationDataError(
            f"The validation data of campaign {campaign_id} was destroyed when its key was "
            "retired; nothing can be scored for it any more."
        )
    key = (campaign_id, row.wrapped_sha256)
    table = cache.validation_sets.get(key)
    if table is None:
        wrapped = ValidationSet.objects.values_list("wrapped_data", flat=True).get(pk=row.pk)
        data = custody.secret_unwrap(
            wrapped=bytes(wrapped),
            recipient=row.wrapped_to,
            what=f"The validation data of campaign {campaign_id}",
        )
        if hashlib.sha256(data).hexdigest() != row.sha256:
            raise ValidationDataError(
                f"The validation data of campaign {campaign_id} no longer matches the checksum "
                "taken when it was uploaded; restore it from a database backup."
            )
        table = validation_table_read(
            campaign_id=campaign_id,
            input_schema=row.input_schema,
            output_schema=row.output_schema,
            data=data,
            adapter=row.adapter,
        )
        cache.validation_sets.put(key, table)
    if table.n_features != n_features:
        raise ValidationDataError(
            f"The validation data of campaign {campaign_id} has {table.n_features} feature "
            f"columns but its model takes {n_features}; the schema and the model disagree."
        )
    return table


# --- Key pairs ----------------------------------------------------------------------------------


def _model(*, campaign_id: int, spec: ModelSpec):
    """syft's model for the spec, with syft's refusal turned into a sentence naming the campaign."""
    try:
        return model_for(
            spec.algorithm,
            n_features=spec.n_features,
            n_classes=spec.n_classes,
            fit_intercept=spec.fit_intercept,
        )
    except SyftError as exc:
        raise CapsuleError(f"Campaign {campaign_id} cannot use this model: {exc}") from None


def _spec_of(row: CampaignKey) -> ModelSpec:
    return ModelSpec(
        algorithm=row.algorithm,
        n_features=row.n_features,
        n_classes=row.n_classes,
        fit_intercept=row.fit_intercept,
    )


def _key_row(campaign_id: int) -> CampaignKey:
    """The campaign's live key pair row, or a KeyUnavailableError saying why there is none."""
    row = CampaignKey.objects.filter(campaign_id=campaign_id).first()
    if row is None:
        raise KeyUnavailableError(
            f"Campaign {campaign_id} has no key pair; the capsule makes one when it launches."
        )
    if row.retired_at is not None:
        # Another worker retired it: drop whatever this process still holds.
        cache.private_keys.discard_campaign(campaign_id)
        raise KeyUnavailableError(
            f"The key pair of campaign {campaign_id} was retired on "
            f"{row.retired_at:%Y-%m-%d %H:%M} UTC after its model was delivered; its private "
            "key no longer exists."
        )
    return row


def _public_key(row: CampaignKey) -> PaillierPublicKey:
    return public_key_from_dict(
        row.public_key, allow_insecure_for_tests=settings.PAILLIER_ALLOW_INSECURE_KEYS
    )


def _private_key(row: CampaignKey) -> PaillierPrivateKey:
    """The campaign's private key, from this process's cache or unwrapped from the database."""
    key = (row.campaign_id, row.fingerprint)
    private_key = cache.private_keys.get(key)
    if private_key is not None:
        return private_key
    what = f"The private key of campaign {row.campaign_id}"
    serialized = custody.secret_unwrap(
        wrapped=row.wrapped_private_key.encode("ascii"), recipient=row.wrapped_to, what=what
    )
    try:
        private_key = private_key_from_bytes(serialized)
    except SyftError:
        # `from None`: the cause could only describe the key material.
        raise KeyUnavailableError(
            f"{what} is corrupted: it unwrapped, but not to a Paillier private key. Restore the "
            "campaign's key row from a database backup."
        ) from None
    if public_key_fingerprint(private_key.public_key) != row.fingerprint:
        raise KeyUnavailableError(
            f"{what} does not belong to the campaign's public key {row.fingerprint[:16]}; the "
            "stored row was altered or swapped with another campaign's."
        )
    cache.private_keys.put(key, private_key)
    return private_key


def keypair_create(*, campaign_id: int, spec: ModelSpec) -> dict:
    """Make the campaign's Paillier key pair (once) and publish its public half."""
    existing = CampaignKey.objects.filter(campaign_id=campaign_id).first()
    if existing is not None:
        return _existing_public_key(existing, spec)
    _model(campaign_id=campaign_id, spec=spec)
    if ValidationSet.objects.filter(campaign_id=campaign_id).exists():
        # Refuse now, not at the first score, a model that cannot read the validation set.
        _validation_table(campaign_id=campaign_id, n_features=spec.n_features)
    what = f"the private key of campaign {campaign_id}"
    recipient = _capsule_recipient(what=what)
    public_key, private_key = keypair_generate(
        settings.PAILLIER_KEY_BITS,
        allow_insecure_for_tests=settings.PAILLIER_ALLOW_INSECURE_KEYS,
    )
    public = public_key_to_dict(public_key)
    wrapped = custody.secret_wrap(
        data=private_key_to_bytes(private_key),
        recipient=recipient,
        what=what.capitalize(),
        armor=True,
    )
    try:
        with transaction.atomic():
            CampaignKey.objects.create(
                campaign_id=campaign_id,
                algorithm=spec.algorithm,
                n_features=spec.n_features,
                n_classes=spec.n_classes,
                fit_intercept=spec.fit_intercept,
                public_key=public,
                fingerprint=public["fingerprint"],
                bits=public["bits"],
                wrapped_private_key=wrapped.decode("ascii"),
                wrapped_to=recipient,
            )
            ledger_append(
                kind="key.published",
                campaign_id=campaign_id,
                payload={
                    "campaign": campaign_id,
                    "scheme": public["scheme"],
                    "fingerprint": public["fingerprint"],
                    "n": public["n"],
                    "bits": public["bits"],
                },
            )
    except IntegrityError:
        # Another worker made this campaign's key first; theirs is the one.
        return _existing_public_key(CampaignKey.objects.get(campaign_id=campaign_id), spec)
    # Launch encrypts and scores v0 right after this: spare it an unwrap.
    cache.private_keys.put((campaign_id, public["fingerprint"]), private_key)
    return public


def _existing_public_key(row: CampaignKey, spec: ModelSpec) -> dict:
    if _spec_of(row) != spec:
        raise CapsuleError(
            f"Campaign {row.campaign_id} already has a key pair for a {row.algorithm} model "
            f"with {row.n_features} features; it cannot be made again for a {spec.algorithm} "
            f"model with {spec.n_features}."
        )
    return dict(row.public_key)


def public_key_for(*, campaign_id: int) -> PaillierPublicKey:
    """The campaign's Paillier public key (also after the key pair is retired)."""
    row = CampaignKey.objects.filter(campaign_id=campaign_id).only("public_key").first()
    if row is None:
        raise KeyUnavailableError(
            f"Campaign {campaign_id} has no key pair; the capsule makes one when it launches."
        )
    return _public_key(row)


@transaction.atomic
def keypair_retire(*, campaign_id: int) -> None:
    """Destroy the campaign's private key and validation data once its model is delivered."""
    row = CampaignKey.objects.select_for_update().filter(campaign_id=campaign_id).first()
    if row is None:
        raise KeyUnavailableError(f"Campaign {campaign_id} has no key pair to retire.")
    # Drop this process's copies whatever happens next: they are re-unwrapped if still needed.
    cache.private_keys.discard_campaign(campaign_id)
    cache.validation_sets.discard_campaign(campaign_id)
    if row.retired_at is not None:
        return
    if not ModelDelivery.objects.filter(campaign_id=campaign_id).exists():
        raise DeliveryError(
            f"Campaign {campaign_id}'s final model has not been delivered; retiring its key now "
            "would lose the model for good. Deliver it first."
        )
    now = timezone.now()
    row.wrapped_private_key = ""
    row.retired_at = now
    row.save(update_fields=["wrapped_private_key", "retired_at"])
    ValidationSet.objects.filter(campaign_id=campaign_id).update(wrapped_data=b"", destroyed_at=now)
    # No ledger entry: the ledger has no "key.retired" kind (see docs/capsule.md); Sonar's
    # campaign.completed entry, appended in the same transaction, marks the end.


# --- Models -------------------------------------------------------------------------------------


def _encrypted_model(row: CampaignKey, address: str, shape: tuple[int, ...]) -> EncryptedArray:
    """Fetch and check a model blob: present, intact, of the model's shape, under the key."""
    campaign_id = row.campaign_id
    try:
        data = blob_get(address)
    except BlobNotFoundError:
        raise ModelBlobError(
            f"Model blob {address} of campaign {campaign_id} is not in the blob store."
        ) from None
    except BlobIntegrityError:
        raise ModelBlobError(
            f"Model blob {address} of campaign {campaign_id} is corrupted: its bytes no longer "
            "hash to its address."
        ) from None
    try:
        return encrypted_loads(data, public_key=_public_key(row), expected_shape=shape)
    except KeyMismatchError:
        raise ModelBlobError(
            f"Model blob {address} is not encrypted under campaign {campaign_id}'s key "
            f"{row.fingerprint[:16]}."
        ) from None
    except ShapeMismatchError as exc:
        raise ModelBlobError(
            f"Model blob {address} does not have the shape of campaign {campaign_id}'s model "
            f"{shape}: {exc}"
        ) from None
    except SyftError as exc:
        raise ModelBlobError(
            f"Model blob {address} of campaign {campaign_id} is not a valid encrypted model: {exc}"
        ) from None


def _score(model, weights: np.ndarray, table: ValidationTable) -> float:
    score = float(model.score(weights, table.features, table.target))
    # The campaign metric is in [0, 1] by definition; a degenerate score must not pay anyone.
    return min(1.0, max(0.0, score)) if math.isfinite(score) else 0.0


def model_encrypt_initial(*, campaign_id: int, weights: np.ndarray) -> str:
    """Encrypt a campaign's starting weights under its key and store them as a blob."""
    row = _key_row(campaign_id)
    model = _model(campaign_id=campaign_id, spec=_spec_of(row))
    shape = tuple(model.weight_shape)
    values = np.asarray(weights, dtype=np.float64)
    if values.shape != shape:
        raise ModelBlobError(
            f"The initial weights of campaign {campaign_id} have shape {values.shape}; its "
            f"{row.algorithm} model with {row.n_features} features needs {shape}."
        )
    if not np.all(np.isfinite(values)):
        raise ModelBlobError(
            f"The initial weights of campaign {campaign_id} hold values that are not finite."
        )
    try:
        encrypted = EncryptedArray.encrypt(_public_key(row), values)
    except SyftError as exc:
        raise ModelBlobError(
            f"The initial weights of campaign {campaign_id} cannot be encrypted: {exc}"
        ) from None
    return blob_put(encrypted_to_bytes(encrypted), kind="model")


def model_score(*, campaign_id: int, encrypted_weights_blob: str) -> float:
    """Decrypt a model in memory and return only its score on the validation set, in [0, 1]."""
    row = _key_row(campaign_id)
    model = _model(campaign_id=campaign_id, spec=_spec_of(row))
    encrypted = _encrypted_model(row, encrypted_weights_blob, tuple(model.weight_shape))
    table = _validation_table(campaign_id=campaign_id, n_features=row.n_features)
    # The plaintext weights live only in this frame; nothing below stores or returns them.
    weights = encrypted.decrypt(_private_key(row))
    return _score(model, weights, table)


def model_refresh(*, campaign_id: int, encrypted_weights_blob: str) -> str:
    """Re-encrypt a model's weights at a fresh fixed-point scale; returns the new blob."""
    row = _key_row(campaign_id)
    model = _model(campaign_id=campaign_id, spec=_spec_of(row))
    encrypted = _encrypted_model(row, encrypted_weights_blob, tuple(model.weight_shape))
    refreshed = encrypted.refreshed(_private_key(row))
    return blob_put(encrypted_to_bytes(refreshed), kind="model")


# --- Steps of the campaign's life, run on capsule workers ----------------------------------------
# Sonar enqueues these (capsule.tasks) and reacts to what they return; they never raise for a
# refusal that is the campaign's or the gradient's fault, they say so in the result, so that the
# next step in Sonar's chain always runs and nothing waits forever.

# Publish a re-encrypted model when fewer bits than this remain: room for about five more
# rounds of fixed-point scale growth, so gradients computed on slightly old versions still fit.
REFRESH_BELOW_HEADROOM_BITS = 512


def campaign_keys_prepare(*, campaign_id: int, spec: ModelSpec, initial_weights: list) -> dict:
    """Launch's capsule half: the key pair, v0 encrypted and scored. Safe to run again."""
    try:
        keypair_create(campaign_id=campaign_id, spec=spec)
        address = model_encrypt_initial(campaign_id=campaign_id, weights=initial_weights)
        score = model_score(campaign_id=campaign_id, encrypted_weights_blob=address)
    except CapsuleError as exc:
        return {"ok": False, "error": str(exc)}
    return {"ok": True, "blob": address, "score": score}


def candidate_score(*, campaign_id: int, candidate_blob: str, publish_above_ppm: int) -> dict:
    """Score a candidate model; if it beats `publish_above_ppm`, return the blob to publish.

    The blob to publish is the candidate itself, or the candidate re-encrypted at a fresh
    fixed-point scale when its headroom runs low (every homomorphic update grows the scale).
    A candidate that cannot be read or decrypted is reported as malformed, with no score.
    """
    try:
        row = _key_row(campaign_id)
        model = _model(campaign_id=campaign_id, spec=_spec_of(row))
        encrypted = _encrypted_model(row, candidate_blob, tuple(model.weight_shape))
        table = _validation_table(campaign_id=campaign_id, n_features=row.n_features)
        weights = encrypted.decrypt(_private_key(row))
    except (CapsuleError, SyftError, ArithmeticError, ValueError) as exc:
        return {"ok": False, "malformed": True, "error": type(exc).__name__}
    if not np.all(np.isfinite(weights)):
        return {"ok": False, "malformed": True, "error": "weights that are not finite"}
    score = _score(model, weights, table)
    publish = None
    # Sonar compares scores in integer parts per million; round the same way.
    if round(score * 1_000_000) > publish_above_ppm:
        publish = candidate_blob
        if encrypted.headroom_bits() < REFRESH_BELOW_HEADROOM_BITS:
            refreshed = EncryptedArray.encrypt(_public_key(row), weights)
            publish = blob_put(encrypted_to_bytes(refreshed), kind="model")
    return {"ok": True, "score": score, "publish_blob": publish}


# --- Delivery -----------------------------------------------------------------------------------


def _delivery_from_row(row: ModelDelivery) -> Delivery:
    stored = bytes(row.wrapped_artifact)
    if row.sealing == ModelDelivery.Sealing.OWNER_PGP:
        data = stored  # encrypted to its owner's key: nothing to open here
    elif row.sealing == ModelDelivery.Sealing.SITE_KEY:
        data = sealing.unseal(stored, campaign_id=row.campaign_id)
    else:
        data = custody.secret_unwrap(
            wrapped=stored,
            recipient=row.wrapped_to,
            what=f"The delivered model of campaign {row.campaign_id}",
        )
    if hashlib.sha256(data).hexdigest() != row.sha256:
        raise DeliveryError(
            f"The stored model of campaign {row.campaign_id} no longer matches the checksum "
            "recorded at delivery; restore it from a database backup."
        )
    return Delivery(
        filename=row.filename,
        content_type=row.content_type,
        data=data,
        pgp_fingerprint=row.pgp_fingerprint,
        sha256=row.sha256,
    )


def delivery_for(*, campaign_id: int) -> Delivery | None:
    """The artifact delivered for the campaign (the same bytes every time), or None."""
    row = ModelDelivery.objects.filter(campaign_id=campaign_id).first()
    return None if row is None else _delivery_from_row(row)


def _owner_profile(campaign_id: int, owner_id: int) -> Profile | None:
    if not get_user_model().objects.filter(pk=owner_id).exists():
        raise DeliveryError(
            f"The owner of campaign {campaign_id} (user {owner_id}) does not exist; the final "
            "model has no one to go to."
        )
    return Profile.objects.filter(user_id=owner_id).first()


def model_deliver(
    *, campaign_id: int, encrypted_weights_blob: str, owner_id: int, metadata: dict
) -> Delivery:
    """Decrypt the final model into a zip for its owner, PGP-encrypted to their key if any."""
    existing = ModelDelivery.objects.filter(campaign_id=campaign_id).first()
    if existing is not None:
        return _same_delivery(existing, encrypted_weights_blob, owner_id)
    row = _key_row(campaign_id)
    spec = _spec_of(row)
    model = _model(campaign_id=campaign_id, spec=spec)
    profile = _owner_profile(campaign_id, owner_id)
    encrypted = _encrypted_model(row, encrypted_weights_blob, tuple(model.weight_shape))
    table = _validation_table(campaign_id=campaign_id, n_features=row.n_features)
    schemas = ValidationSet.objects.values("input_schema", "output_schema").get(
        campaign_id=campaign_id
    )
    weights = encrypted.decrypt(_private_key(row))
    artifact = artifact_build(
        campaign_id=campaign_id,
        metadata=metadata,
        algorithm=spec.algorithm,
        n_features=spec.n_features,
        n_classes=spec.n_classes,
        fit_intercept=spec.fit_intercept,
        input_schema=schemas["input_schema"],
        output_schema=schemas["output_schema"],
        accuracy=_score(model, weights, table),
        weights=weights,
        key_fingerprint=row.fingerprint,
        source_blob=encrypted_weights_blob,
    )
    if profile is not None and profile.pgp_public_key:
        try:
            data = pgp_encrypt_to(armored_key=profile.pgp_public_key, data=artifact)
        except PgpKeyError as exc:
            raise DeliveryError(
                f"The final model of campaign {campaign_id} could not be encrypted to its "
                f"owner's PGP key {profile.pgp_fingerprint}: {exc} The owner should register a "
                "working key, then the delivery can be retried."
            ) from None
        filename = f"campaign-{campaign_id}-model.zip.asc"
        content_type = "application/pgp-encrypted"
        fingerprint = profile.pgp_fingerprint
    else:
        data, fingerprint = artifact, ""
        filename = f"campaign-{campaign_id}-model.zip"
        content_type = "application/zip"
    # Stored so that web processes (no capsule secret) can serve it to its owner again.
    if fingerprint:
        stored, sealed_with = data, ModelDelivery.Sealing.OWNER_PGP
    else:
        stored = sealing.seal(data, campaign_id=campaign_id)
        sealed_with = ModelDelivery.Sealing.SITE_KEY
    delivery = Delivery(
        filename=filename,
        content_type=content_type,
        data=data,
        pgp_fingerprint=fingerprint,
        sha256=hashlib.sha256(data).hexdigest(),
    )
    try:
        with transaction.atomic():
            ModelDelivery.objects.create(
                campaign_id=campaign_id,
                owner_id=owner_id,
                source_blob=encrypted_weights_blob,
                filename=delivery.filename,
                content_type=delivery.content_type,
                pgp_fingerprint=delivery.pgp_fingerprint,
                sha256=delivery.sha256,
                wrapped_artifact=stored,
                sealing=sealed_with,
            )
    except IntegrityError:
        # A concurrent run delivered first; the owner gets that artifact, not a second one.
        existing = ModelDelivery.objects.get(campaign_id=campaign_id)
        return _same_delivery(existing, encrypted_weights_blob, owner_id)
    return delivery


def _same_delivery(row: ModelDelivery, source_blob: str, owner_id: int) -> Delivery:
    if row.source_blob != source_blob or row.owner_id != owner_id:
        raise DeliveryError(
            f"Campaign {row.campaign_id} already delivered its final model (blob "
            f"{row.source_blob[:16]} to user {row.owner_id}); a campaign delivers one model once."
        )
    return _delivery_from_row(row)
