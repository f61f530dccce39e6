"""The GUI's pure parts (graph layout, timeline data) import no Qt: they run on worker threads
and can be tested without a display."""
import subprocess
import sys

import pytest


@pytest.mark.parametrize("module", ["nexo_studio.qt.graph.layout", "nexo_studio.qt.graph",
                                    "nexo_studio.qt.timeline.data", "nexo_studio.qt.timeline"])
def test_module_imports_no_qt(module):
    code = (f"import sys, {module}; "
            "print(sorted(m for m in sys.modules if m.startswith(('PySide6', 'shiboken6'))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
