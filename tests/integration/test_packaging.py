"""Item 15: the PyInstaller bundle ships both programs, `nexo-studio` and `nexo`, in one folder.

The spec is executed here with recording stand-ins for PyInstaller's build steps (a real build
takes minutes: `bash packaging/build.sh` does it and smoke-tests both binaries)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

ROOT = Path(__file__).resolve().parents[2]
SPEC = ROOT / "packaging" / "nexo-studio.spec"


def run_spec() -> dict:
    pytest.importorskip("PyInstaller")
    made: dict = {"analyses": [], "exes": [], "collects": []}

    def Analysis(scripts, **kw):  # noqa: N802 - PyInstaller's names
        a = SimpleNamespace(scripts=list(scripts), pure=[f"pure:{scripts[0]}"], binaries=[], datas=[], kw=kw)
        made["analyses"].append(a)
        return a

    def PYZ(pure):  # noqa: N802
        return SimpleNamespace(pure=pure)

    def EXE(pyz, scripts, *rest, **kw):  # noqa: N802
        e = SimpleNamespace(pyz=pyz, scripts=scripts, **kw)
        made["exes"].append(e)
        return e

    def COLLECT(*items, **kw):  # noqa: N802
        made["collects"].append(SimpleNamespace(items=items, **kw))

    namespace = {"SPECPATH": str(SPEC.parent), "Analysis": Analysis, "PYZ": PYZ, "EXE": EXE, "COLLECT": COLLECT,
                 "__file__": str(SPEC)}
    exec(compile(SPEC.read_text(), str(SPEC), "exec"), namespace)
    return made


def test_the_bundle_holds_both_the_app_and_the_cli():
    made = run_spec()
    assert len(made["collects"]) == 1
    collected = [i for i in made["collects"][0].items if isinstance(i, SimpleNamespace) and hasattr(i, "console")]
    by_name = {e.name: e for e in collected}
    assert set(by_name) == {"nexo-studio", "nexo"}
    assert by_name["nexo"].console is True and by_name["nexo-studio"].console is False
    assert Path(by_name["nexo"].scripts[0]).name == "nexo_cli_entry.py"
    assert Path(by_name["nexo-studio"].scripts[0]).name == "nexo_studio_entry.py"
    for e in collected:
        assert e.exclude_binaries is True  # one folder: binaries go to the shared COLLECT


def test_the_cli_entry_script_runs_nexo():
    proc = subprocess.run([sys.executable, str(ROOT / "packaging" / "nexo_cli_entry.py"), "--help"],
                          capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("usage: nexo ")
