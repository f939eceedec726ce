"""Campaign fixtures shared with the Sonar tests, and the platform's signing key."""

from tests.ledger.conftest import platform_key  # noqa: F401
from tests.sonar_ui.conftest import diabetes, fund, launched, submit  # noqa: F401
