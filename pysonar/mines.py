"""The client's methods for a miner's hosted mines (/api/mines/)."""

from __future__ import annotations

from typing import Any


class MineMethods:
    """Mixed into SonarClient; uses its transport (_get, _post, _send, _paginate)."""

    def mines(self) -> list[dict[str, Any]]:
        """Your hosted mines."""
        return list(self._paginate("api/mines/"))

    def mine(self, mine_id: int) -> dict[str, Any]:
        """One of your mines, with dataset and contribution counts and its earnings."""
        return self._get(f"api/mines/{int(mine_id)}/")

    def mine_create(self, *, name: str, payout_account: str, sonar_url: str = "") -> dict[str, Any]:
        """Create a hosted mine (miners only); its policy starts with participation off."""
        body = {"name": name, "payout_account": payout_account, "sonar_url": sonar_url}
        return self._post("api/mines/", body)

    def mine_datasets(self, mine_id: int) -> list[dict[str, Any]]:
        """The mine's datasets: names, schemas, row counts (never the rows)."""
        return list(self._paginate(f"api/mines/{int(mine_id)}/datasets/"))

    def mine_policy(self, mine_id: int) -> dict[str, Any]:
        """Which campaigns the mine joins, and how often."""
        return self._get(f"api/mines/{int(mine_id)}/policy/")

    def mine_policy_update(self, mine_id: int, **changes: Any) -> dict[str, Any]:
        """Change any policy field (paused, auto_participate, min_bounty_minor, lists, ...)."""
        response = self._send("PATCH", f"api/mines/{int(mine_id)}/policy/", json=changes)
        return self._json(response)

    def mine_budget(self, mine_id: int) -> dict[str, Any]:
        """The mine's privacy budget: ε and δ in total, spent, left and per contribution."""
        return self._get(f"api/mines/{int(mine_id)}/budget/")

    def mine_budget_update(self, mine_id: int, **changes: Any) -> dict[str, Any]:
        """Change epsilon_total, delta_total, epsilon_per_contribution or delta_per_contribution.

        Give amounts as strings ("0.5") or ints: a float would carry binary rounding error.
        """
        body = {key: str(value) for key, value in changes.items()}
        response = self._send("PATCH", f"api/mines/{int(mine_id)}/budget/", json=body)
        return self._json(response)

    def mine_contributions(
        self, mine_id: int, *, status: str | None = None
    ) -> list[dict[str, Any]]:
        """What the mine did for each campaign (submitted, judged, skipped and why, earned)."""
        params = {"status": status} if status else {}
        return list(self._paginate(f"api/mines/{int(mine_id)}/contributions/", **params))
