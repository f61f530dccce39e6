"""`mypy` passes on nexo_studio with zero errors (its settings: [tool.mypy] in pyproject.toml).

mypy and the stub packages it needs come with the `test` extra. Where they are not installed the
test skips with the reason -- unless CI is set, where that is a failure, so CI always checks."""

from __future__ import annotations

import os
import subprocess
import sys
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
#: what the test extra installs for this check
TYPING_DISTRIBUTIONS = ("mypy", "types-Pygments", "types-PyMySQL", "types-PyYAML")


def _missing() -> list[str]:
    missing = []
    for dist in TYPING_DISTRIBUTIONS:
        try:
            version(dist)
        except PackageNotFoundError:
            missing.append(dist)
    return missing


def test_mypy_reports_no_error():
    missing = _missing()
    if missing:
        reason = f"not installed: {', '.join(missing)} (pip install -e '.[test]')"
        if os.environ.get("CI"):
            pytest.fail(f"{reason}; CI is set, so the type check must run")
        pytest.skip(reason)
    # the checked package is this tree's (cwd), whatever nexo_studio the interpreter would import
    env = {k: v for k, v in os.environ.items() if k not in ("MYPYPATH", "MYPY_CONFIG_FILE_DIR")}
    run = subprocess.run([sys.executable, "-m", "mypy", "--no-color-output", "--no-error-summary"],
                         cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)
    errors = [line for line in run.stdout.splitlines() if ": error: " in line]
    assert run.returncode == 0 and not errors, (
        f"mypy exited {run.returncode} with {len(errors)} error(s):\n{run.stdout}{run.stderr}")
