"""The Sonar a mine talks to, for pages and commands: open campaigns, the owner's wallet.

Mines never reach into Sonar's database (an import contract forbids it), so a hosted mine's
pages ask this platform over its own REST API, exactly as a mine on another machine does.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError

from accounts.services import token_issue
from mine_ui.models import Mine
from mine_ui.sonar_address import sonar_address_check
from pysonar import NO_RETRY, SonarClient, SonarError

# A page must answer in seconds even when Sonar does not: one attempt, short timeouts.
PAGE_TIMEOUT = (3.0, 20.0)


def sonar_client(*, sonar_url: str = "", token: str = "", owner: User | None = None) -> SonarClient:
    """A client of the given Sonar (blank: this platform, as `owner`), failing fast.

    The address is checked before any request (mine_ui/sonar_address.py): a hosted mine's pages
    call it on its owner's behalf, so it must not point inside the platform's network.
    """
    sonar_url = sonar_address_check(sonar_url)
    if not token and not sonar_url and owner is not None:
        # A hosted mine polls this platform as its owner.
        token = token_issue(user=owner).key
    if not token:
        raise SonarError(
            401,
            "no_token",
            f"No API token for {sonar_url or 'this Sonar'}; get one there (your profile's API "
            "tokens, or POST /api/auth/token/).",
        )
    return SonarClient(
        sonar_url or settings.SITE_URL,
        token=token,
        retry=NO_RETRY,
        timeout=PAGE_TIMEOUT,
        allow_insecure_keys=settings.PAILLIER_ALLOW_INSECURE_KEYS,
    )


def payout_account_confirm(*, client: SonarClient, payout_account: str = "") -> str:
    """The payout account to use: the token owner's wallet on that Sonar, checked to exist.

    Blank means "my wallet". Any other account is refused, because Sonar refuses a gradient
    whose payout account is not a wallet only after the mine has computed it (and spent privacy
    budget), and the one wallet a token can prove is its owner's.
    """
    wallet = client.wallet()
    own = str(wallet.get("account") or "")
    if not own:
        raise ValidationError(
            f"{client.base_url} did not say which wallet is yours; check the Sonar address."
        )
    wanted = payout_account.strip()
    if wanted and wanted != own:
        raise ValidationError(
            f"Payout account {wanted} is not your wallet on {client.base_url.rstrip('/')}; "
            f"payouts go to your own wallet, {own}. Leave the field blank or use {own}."
        )
    return own


def campaigns_open_for(*, mine: Mine) -> tuple[list[dict], str]:
    """The open campaigns on the mine's Sonar, and '' — or [] and a sentence saying why not."""
    try:
        client = sonar_client(sonar_url=mine.sonar_url, token=mine.api_token, owner=mine.owner)
        return [dict(campaign) for campaign in client.campaigns_open()], ""
    except SonarError as exc:
        where = mine.sonar_url or "this platform"
        if exc.status == 401:
            return [], f"{where} refused the mine's API token ({exc.detail}); save a new one."
        return [], f"Could not ask {where} for its open campaigns: {exc.detail}"


def wallet_of(*, owner: User) -> str:
    """The person's wallet on this platform, to prefill a form ('' when Sonar does not answer)."""
    try:
        return str(sonar_client(owner=owner).wallet().get("account") or "")
    except SonarError:
        return ""
