"""SonarClient: every REST API operation as one typed method, with retries that never double-act."""

from __future__ import annotations

import gzip
import json as _json_module
import logging
import time
from collections.abc import Callable, Iterator
from email.utils import parsedate_to_datetime
from typing import Any, Literal
from urllib.parse import urljoin, urlsplit

import requests
import urllib3.exceptions

from pysonar.account import AccountMethods
from pysonar.errors import MalformedResponse, SonarError, SonarUnavailable
from pysonar.events import EventMethods
from pysonar.mines import MineMethods
from pysonar.models import CampaignModel, campaign_model_from_json
from pysonar.public import PublicMethods
from pysonar.retry import NOT_PROCESSED_STATUSES, RETRYABLE_STATUSES, RetryPolicy
from pysonar.types import (
    Campaign,
    Deposit,
    Gradient,
    Me,
    ValidationUpload,
    Wallet,
)
from syft.encrypted import EncryptedArray
from syft.packing import PackedArray
from syft.wire import encrypted_to_bytes, encrypted_to_json
from syft.wire_packed import packed_to_json

__all__ = ["SonarClient"]

logger = logging.getLogger("pysonar")

USER_AGENT = "pysonar/0.1"
BINARY_GRADIENT_MEDIA_TYPE = "application/vnd.sonar.gradient"

# Methods that mean the same thing when sent twice (RFC 9110 §9.2.2).
_IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})


def _never_reached_server(exc: requests.RequestException) -> bool:
    """True when the connection itself failed, so Sonar cannot have acted on the request."""
    if isinstance(exc, requests.ConnectTimeout):
        return True
    cause = exc.args[0] if exc.args else None
    reason = getattr(cause, "reason", cause)
    return isinstance(reason, urllib3.exceptions.NewConnectionError | ConnectionRefusedError)


def _retry_after_seconds(response: requests.Response) -> float | None:
    """Read Retry-After (seconds or an HTTP date), or None when absent or unreadable."""
    raw = response.headers.get("Retry-After")
    if not raw:
        return None
    try:
        return max(0.0, float(raw))
    except ValueError:
        pass
    try:
        return max(0.0, parsedate_to_datetime(raw).timestamp() - time.time())
    except (TypeError, ValueError):
        return None


class SonarClient(AccountMethods, MineMethods, EventMethods, PublicMethods):
    """A client of one Sonar platform, authenticated as one person."""

    def __init__(
        self,
        base_url: str,
        *,
        token: str | None = None,
        username: str | None = None,
        password: str | None = None,
        retry: RetryPolicy | None = None,
        timeout: float | tuple[float, float] = (5.0, 60.0),
        session: requests.Session | None = None,
        allow_insecure_keys: bool = False,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(
                f"Sonar URL {base_url!r} is not an http(s) URL; "
                "give the platform's address, e.g. https://sonar.example.org"
            )
        if token is None and (username is None or password is None):
            raise ValueError("Give either token=... or both username=... and password=....")
        self.base_url = base_url.rstrip("/") + "/"
        self.retry = retry or RetryPolicy()
        self.timeout = timeout
        self.session = session or requests.Session()
        self.session.headers.setdefault("User-Agent", USER_AGENT)
        # 1024-bit campaign keys exist only on test platforms; refuse them unless told.
        self.allow_insecure_keys = allow_insecure_keys
        self._sleep = sleep
        self._username = username
        self._password = password
        self.token = token if token is not None else self._obtain_token()

    def __repr__(self) -> str:
        return f"<SonarClient {self.base_url}>"

    # --- transport ----------------------------------------------------------------------------

    def _obtain_token(self) -> str:
        """Trade the username and password for an API token."""
        body = self._json(
            self._send(
                "POST",
                "api/auth/token/",
                json={"username": self._username, "password": self._password},
                authenticated=False,
            )
        )
        token = body.get("token") if isinstance(body, dict) else None
        if not isinstance(token, str) or not token:
            raise MalformedResponse("POST /api/auth/token/ answered without a token.")
        return token

    def _url(self, path: str) -> str:
        # Pagination links arrive absolute; everything else is relative to the base URL.
        return urljoin(self.base_url, path.lstrip("/")) if "://" not in path else path

    def _send(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        data: bytes | None = None,
        params: dict[str, Any] | None = None,
        files: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        authenticated: bool = True,
    ) -> requests.Response:
        """Send one API request, retrying only when sending it again cannot double an effect."""
        url = self._url(path)
        headers = dict(headers or {})
        # With an idempotency key Sonar recognises the repeat, so any failure may be retried.
        repeatable = method in _IDEMPOTENT_METHODS or "Idempotency-Key" in headers
        relogged_in = False
        slept = 0.0
        attempt = 0
        while True:
            attempt += 1
            if authenticated:
                headers["Authorization"] = f"Token {self.token}"
            retry_after: float | None = None
            try:
                response = self.session.request(
                    method,
                    url,
                    json=json,
                    data=data,
                    params=params,
                    files=files,
                    headers=headers,
                    timeout=self.timeout,
                    # A redirect would carry the token (and a gradient) to another address.
                    allow_redirects=False,
                )
            except (
                requests.ConnectionError,
                requests.Timeout,
                requests.exceptions.ChunkedEncodingError,
            ) as exc:
                failure = f"Cannot reach Sonar at {self.base_url} ({type(exc).__name__}: {exc})"
                if not (repeatable or _never_reached_server(exc)):
                    raise SonarUnavailable(
                        f"{failure}. The {method} {urlsplit(url).path} may or may not have been "
                        "applied; check before sending it again."
                    ) from exc
                status = 0
            else:
                status = response.status_code
                if 300 <= status < 400:
                    raise SonarError(
                        status,
                        "redirect",
                        f"Sonar answered {method} {urlsplit(url).path} with a redirect to "
                        f"{response.headers.get('Location', 'nowhere')!r}; clients do not follow "
                        "redirects. Give the final address as the Sonar URL.",
                    )
                if status < 400:
                    return response
                if status == 401 and authenticated and self._password and not relogged_in:
                    # An expired token: trade the password for a fresh one, once.
                    relogged_in = True
                    self.token = self._obtain_token()
                    attempt -= 1
                    continue
                error = SonarError.from_response_body(
                    status, _body_or_none(response), response.text
                )
                if status not in RETRYABLE_STATUSES:
                    raise error
                failure = (
                    f"Sonar answered {method} {urlsplit(url).path} with HTTP {status}: "
                    f"{error.detail.rstrip('.')}"
                )
                if not (repeatable or status in NOT_PROCESSED_STATUSES):
                    raise SonarUnavailable(
                        f"{failure}. It may or may not have been applied; check before sending "
                        "it again.",
                        status=status,
                        code=error.code,
                    )
                retry_after = _retry_after_seconds(response)
            delay = self.retry.delay(attempt, retry_after_s=retry_after)
            if attempt >= self.retry.max_attempts or slept + delay > self.retry.max_total_delay_s:
                raise SonarUnavailable(
                    f"{failure}; gave up after {attempt} attempt{'s' if attempt > 1 else ''}.",
                    status=status,
                )
            logger.warning("%s; retrying in %.1fs (attempt %d)", failure, delay, attempt + 1)
            self._sleep(delay)
            slept += delay

    @staticmethod
    def _json(response: requests.Response) -> Any:
        if response.status_code == 204:
            return None
        try:
            return response.json()
        except ValueError:
            raise MalformedResponse(
                f"{response.request.method} {urlsplit(response.url).path} answered "
                f"{response.status_code} with a body that is not JSON.",
                status=response.status_code,
            ) from None

    def _get(self, path: str, **params: Any) -> Any:
        return self._json(self._send("GET", path, params=params or None))

    def _post(self, path: str, body: Any = None, *, idempotency_key: str | None = None) -> Any:
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key else None
        return self._json(self._send("POST", path, json=body, headers=headers))

    def _paginate(self, path: str, **params: Any) -> Iterator[Any]:
        """Yield every item of a paginated list, following its `next` links."""
        page = self._get(path, **params)
        while True:
            if isinstance(page, list):
                yield from page
                return
            if not isinstance(page, dict) or not isinstance(page.get("results"), list):
                raise MalformedResponse(f"GET {path} did not answer a list or a page of results.")
            yield from page["results"]
            if not page.get("next"):
                return
            page = self._get(page["next"])

    # --- everyone -----------------------------------------------------------------------------

    def me(self) -> Me:
        """Your profile, roles and wallet."""
        return self._get("api/me/")

    def wallet(self) -> Wallet:
        """Your wallet: account, balance in minor units, currency."""
        return self._get("api/wallet/")

    def campaigns_open(self) -> list[Campaign]:
        """Every campaign that accepts gradients now."""
        return list(self._paginate("api/campaigns/", status="open"))

    def campaign(self, campaign_id: int) -> Campaign:
        """One campaign (all fields when you own it, the public ones otherwise)."""
        return self._get(f"api/campaigns/{int(campaign_id)}/")

    # --- miners -------------------------------------------------------------------------------

    def model(self, campaign_id: int) -> CampaignModel:
        """The campaign's current encrypted model and public key, validated."""
        body = self._get(f"api/campaigns/{int(campaign_id)}/model/")
        return campaign_model_from_json(
            body, campaign_id=int(campaign_id), allow_insecure_keys=self.allow_insecure_keys
        )

    def gradient_submit(
        self,
        campaign_id: int,
        *,
        base_version: int,
        n_samples: int,
        payout_account: str,
        gradient: EncryptedArray | PackedArray,
        idempotency_key: str,
        form: Literal["binary", "json"] = "binary",
        compress: bool = False,
    ) -> Gradient:
        """Submit an encrypted gradient (v1, or v2 when packed); resending a key is harmless.

        `form="binary"` (the default) sends the wire format's binary form, half the size of the
        JSON hex form; `compress=True` adds gzip (which gains little on ciphertexts). A retry
        must use the same form: the idempotency check compares what was sent.
        """
        if not idempotency_key:
            raise ValueError(
                "gradient_submit needs an idempotency_key: a retry must never pay twice."
            )
        if form not in ("binary", "json"):
            raise ValueError(f"form is 'binary' or 'json', not {form!r}.")
        fields = {
            "base_version": int(base_version),
            "n_samples": int(n_samples),
            "payout_account": payout_account,
        }
        headers = {"Idempotency-Key": idempotency_key}
        params: dict[str, Any] | None = None
        if isinstance(gradient, PackedArray):
            # Packed gradients (wire format v2) travel as JSON until Sonar reads their binary form.
            body = _json_module.dumps({**fields, "gradient": packed_to_json(gradient)}).encode()
            headers["Content-Type"] = "application/json"
        elif form == "binary":
            body = encrypted_to_bytes(gradient)
            headers["Content-Type"] = BINARY_GRADIENT_MEDIA_TYPE
            params = fields
        else:
            body = _json_module.dumps({**fields, "gradient": encrypted_to_json(gradient)}).encode()
            headers["Content-Type"] = "application/json"
        if compress:
            body = gzip.compress(body)
            headers["Content-Encoding"] = "gzip"
        path = f"api/campaigns/{int(campaign_id)}/gradients/"
        return self._json(self._send("POST", path, data=body, params=params, headers=headers))

    def gradient(self, gradient_id: int) -> Gradient:
        """One submission: status, reason, score, accuracy delta, payout."""
        return self._get(f"api/gradients/{int(gradient_id)}/")

    def gradients(self, campaign_id: int) -> list[Gradient]:
        """A campaign's submissions: all of them for its owner, your own for a miner."""
        return list(self._paginate(f"api/campaigns/{int(campaign_id)}/gradients/"))

    # --- data scientists ----------------------------------------------------------------------

    def campaign_create(self, **fields: Any) -> Campaign:
        """Create a draft campaign (name, schemas, algorithm, hyperparameters, bounty, ...)."""
        return self._post("api/campaigns/", fields)

    def validation_data_upload(
        self, campaign_id: int, csv_bytes: bytes, *, filename: str = "validation.csv"
    ) -> ValidationUpload:
        """Upload the validation set (CSV with the input columns and the output column)."""
        response = self._send(
            "POST",
            f"api/campaigns/{int(campaign_id)}/validation-data/",
            files={"file": (filename, csv_bytes, "text/csv")},
        )
        return self._json(response)

    def campaign_launch(self, campaign_id: int) -> Campaign:
        """Escrow the bounty, make the key pair, publish model v0, and open the campaign."""
        return self._post(f"api/campaigns/{int(campaign_id)}/launch/")

    def campaign_close(self, campaign_id: int) -> Campaign:
        """Stop the campaign now: deliver the model, settle payouts, refund the rest."""
        return self._post(f"api/campaigns/{int(campaign_id)}/close/")

    def versions(self, campaign_id: int) -> list[dict[str, Any]]:
        """The campaign's model versions and their accuracy (no ciphertexts)."""
        return list(self._paginate(f"api/campaigns/{int(campaign_id)}/versions/"))

    def payouts(self, campaign_id: int) -> list[dict[str, Any]]:
        """A campaign's payouts: all of them for its owner, your own for a miner."""
        return list(self._paginate(f"api/campaigns/{int(campaign_id)}/payouts/"))

    def result_download(self, campaign_id: int) -> bytes:
        """The final model artifact (PGP-armored when you registered a key)."""
        return self._send("GET", f"api/campaigns/{int(campaign_id)}/result/").content

    def wallet_deposit(
        self, amount_minor: int, idempotency_key: str, *, username: str | None = None
    ) -> Deposit:
        """Credit a wallet (yours in demo mode; anyone's for an operator)."""
        if isinstance(amount_minor, bool) or not isinstance(amount_minor, int):
            raise TypeError("amount_minor is a whole number of minor units (cents), not a float.")
        body: dict[str, Any] = {"amount_minor": amount_minor}
        if username is not None:
            body["username"] = username
        return self._post("api/wallet/deposit/", body, idempotency_key=idempotency_key)


def _body_or_none(response: requests.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None
