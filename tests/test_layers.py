"""The layer contract (.importlinter) holds, and it really catches an upward import."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")
PACKAGES = [
    "common", "accounts", "hospitals", "scheduling", "appointments", "billing",
    "records", "consult", "analytics", "benchmarks", "demo", "config",
]  # fmt: skip


def _lint(root: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(LINT_IMPORTS), str(root / ".importlinter"), "--no-cache"],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.fixture
def scratch_tree(tmp_path: Path) -> Path:
    """The project's Python packages and contract, copied where they can be broken."""
    for package in PACKAGES:
        shutil.copytree(
            ROOT / package,
            tmp_path / package,
            ignore=shutil.ignore_patterns(
                "__pycache__", "*.pyc", "templates", "static"
            ),
        )
    shutil.copy(ROOT / ".importlinter", tmp_path / ".importlinter")
    return tmp_path


def test_the_code_keeps_the_layer_order():
    result = _lint(ROOT)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "Contracts: 2 kept, 0 broken." in result.stdout


def test_an_upward_import_breaks_the_contract(scratch_tree: Path):
    # given: the schedule (a lower layer) imports billing (a higher one)
    rules = scratch_tree / "scheduling" / "rules.py"
    rules.write_text(rules.read_text() + "\nimport billing.models  # noqa\n")

    # when
    result = _lint(scratch_tree)

    # then
    assert result.returncode == 1
    assert "scheduling is not allowed to import billing" in result.stdout
    assert "scheduling.rules -> billing.models" in result.stdout


def test_common_importing_a_domain_app_breaks_the_contract(scratch_tree: Path):
    errors = scratch_tree / "common" / "errors.py"
    errors.write_text(errors.read_text() + "\nimport accounts.models  # noqa\n")

    result = _lint(scratch_tree)

    assert result.returncode == 1
    assert "common imports no domain app BROKEN" in result.stdout
