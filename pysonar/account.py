"""The client's methods for one's own account: API tokens and roles."""

from __future__ import annotations

from typing import Any


class AccountMethods:
    """Mixed into SonarClient; uses its transport (_get, _post, _send, _paginate)."""

    def tokens(self) -> list[dict[str, Any]]:
        """Your live API tokens (name, prefix, created, expires, last used); never their secrets."""
        return list(self._paginate("api/me/tokens/"))

    def token_create(self, name: str, *, expires_in_days: int = 30) -> dict[str, Any]:
        """Make a named token; the answer's "token" is its secret, shown this once."""
        return self._post("api/me/tokens/", {"name": name, "expires_in_days": int(expires_in_days)})

    def token_revoke(self, token_id: int) -> None:
        """Revoke one of your tokens; it stops working at once."""
        self._send("DELETE", f"api/me/tokens/{int(token_id)}/")

    def role_add(self, role: str) -> list[str]:
        """Take the "data scientist" or "miner" role; returns the roles you now hold."""
        return self._post("api/me/roles/", {"role": role})["roles"]

    def role_drop(self, role: str) -> list[str]:
        """Drop a role (your campaigns and mines stay yours); returns the roles you now hold."""
        response = self._send("DELETE", "api/me/roles/", json={"role": role})
        return self._json(response)["roles"]
