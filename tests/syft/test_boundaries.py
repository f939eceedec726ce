"""syft is the pure library every other app builds on: it must never reach for Django."""

import ast
import sys
from pathlib import Path

import pytest

SYFT = Path(__file__).resolve().parents[2] / "syft"
ALLOWED_THIRD_PARTY = {"numpy", "phe", "gmpy2"}


def imported_roots(path: Path) -> set[str]:
    """Top-level package of every import in a module, relative imports as 'syft'."""
    roots = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            roots.add("syft" if node.level else (node.module or "").split(".")[0])
    return roots


MODULES = sorted(SYFT.rglob("*.py"))


def test_syft_has_modules_to_check():
    assert {path.name for path in MODULES} >= {"keys.py", "encrypted.py", "wire.py", "models.py"}


@pytest.mark.parametrize("path", MODULES, ids=lambda path: path.name)
def test_syft_module_imports_only_the_standard_library_numpy_phe_and_gmpy2(path):
    roots = imported_roots(path)
    assert "django" not in roots
    unexpected = roots - ALLOWED_THIRD_PARTY - set(sys.stdlib_module_names) - {"syft"}
    assert not unexpected, f"{path.name} imports {sorted(unexpected)}"


def test_the_import_check_notices_django(tmp_path):
    module = tmp_path / "sneaky.py"
    module.write_text("def f():\n    from django.conf import settings\n    return settings\n")
    assert "django" in imported_roots(module)
