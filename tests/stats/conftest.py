"""Campaign fixtures shared with the Sonar tests."""

from tests.sonar_ui.conftest import diabetes, fund, launched  # noqa: F401
