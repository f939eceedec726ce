"""Only capsule.services and capsule.tasks may be imported from outside the capsule."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOORS = {"capsule.services", "capsule.tasks"}


def _contract(name_start: str) -> dict:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    contracts = config["tool"]["importlinter"]["contracts"]
    return next(c for c in contracts if c["name"].startswith(name_start))


def test_every_capsule_module_but_the_doors_is_protected():
    modules = {
        "capsule." + path.relative_to(ROOT / "capsule").with_suffix("").as_posix().split("/")[0]
        for path in (ROOT / "capsule").rglob("*.py")
        if path.name != "__init__.py" or path.parent != ROOT / "capsule"
    }
    protected = set(_contract("Only capsule.services")["protected_modules"])

    assert modules - DOORS == protected


def _lint_with_extra_module(
    tmp_path: Path, relative: str, source: str
) -> subprocess.CompletedProcess:
    """Run lint-imports on a copy of the project with one more module in it."""
    copy = tmp_path / "project"
    ignore = shutil.ignore_patterns(".venv", "var", "node_modules", ".git", "__pycache__", "tests")
    shutil.copytree(ROOT, copy, ignore=ignore)
    (copy / relative).write_text(source)
    lint = Path(sys.executable).parent / "lint-imports"
    return subprocess.run(
        [str(lint), "--no-cache"], cwd=copy, capture_output=True, text=True, timeout=300
    )


@pytest.mark.slow
def test_an_app_importing_a_private_capsule_module_breaks_the_contract(tmp_path):
    result = _lint_with_extra_module(
        tmp_path, "stats/peek.py", "from capsule.models import CampaignKey  # noqa: F401\n"
    )

    assert result.returncode != 0
    assert "stats.peek -> capsule.models" in result.stdout


@pytest.mark.slow
def test_an_app_importing_phe_directly_breaks_the_contract(tmp_path):
    result = _lint_with_extra_module(
        tmp_path, "sonar_ui/paillier_shortcut.py", "import phe  # noqa: F401\n"
    )

    assert result.returncode != 0
    assert "sonar_ui.paillier_shortcut -> phe" in result.stdout
