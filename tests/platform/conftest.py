"""Fixtures the admin smoke test borrows from the apps' tests."""

from tests.ledger.conftest import platform_key  # noqa: F401
from tests.mine_ui.conftest import bob_dataset, bob_mine, make_mine  # noqa: F401
from tests.sonar_ui.conftest import diabetes, fund, launched, submit  # noqa: F401
