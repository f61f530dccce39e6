"""A house a newcomer can find their way in: no module over 500 lines, no function over 80.

Held per folder of ``nexo_studio``; folders join ``FOLDERS`` as they are brought under the limits.
"""
import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "nexo_studio"
MAX_MODULE_LINES = 500
MAX_FUNCTION_LINES = 80
FOLDERS = ["qt", "core", "cli", "app"]
#: a function may be longer when the comment right above its ``def`` starts with this and says why
EXEMPT = "# longer than 80 lines:"


def modules(folder: str) -> list[Path]:
    found = sorted((PACKAGE / folder).rglob("*.py"))
    assert found, f"no Python files under nexo_studio/{folder}"
    return found


def long_functions(path: Path) -> list[str]:
    """``name (line N): L lines`` for each function or method longer than the limit, counted
    from its ``def`` line to its last line (decorators and docstring included in the body)."""
    text = path.read_text(encoding="utf-8")
    tree = ast.parse(text, filename=str(path))
    lines = text.splitlines()
    out = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            length = node.end_lineno - node.lineno + 1
            if length > MAX_FUNCTION_LINES and not _explained(lines, node):
                out.append(f"{node.name} (line {node.lineno}): {length} lines")
    return out


def _explained(lines: list[str], node: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """The comment block right above the ``def`` (or its first decorator) starts with EXEMPT."""
    first = min([node.lineno, *(d.lineno for d in node.decorator_list)]) - 2
    while first >= 0 and lines[first].lstrip().startswith("#"):
        if lines[first].lstrip().startswith(EXEMPT):
            return True
        first -= 1
    return False


@pytest.mark.parametrize("folder", FOLDERS)
def test_no_module_over_500_lines(folder):
    too_long = {str(p.relative_to(PACKAGE.parent)): n for p in modules(folder)
                if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES}
    assert not too_long, f"modules over {MAX_MODULE_LINES} lines: {too_long}"


@pytest.mark.parametrize("folder", FOLDERS)
def test_no_function_over_80_lines(folder):
    too_long = {str(p.relative_to(PACKAGE.parent)): f for p in modules(folder) if (f := long_functions(p))}
    assert not too_long, f"functions over {MAX_FUNCTION_LINES} lines: {too_long}"


def test_the_limits_catch_what_they_should(tmp_path):
    """The checker itself: an 81-line function is reported, an 80-line one is not."""
    body = "\n".join(f"    x{i} = {i}" for i in range(79))
    (tmp_path / "ok.py").write_text(f"def fits():\n{body}\n")
    (tmp_path / "long.py").write_text(f"def too_long():\n{body}\n    return 1\n")
    assert long_functions(tmp_path / "ok.py") == []
    assert long_functions(tmp_path / "long.py") == ["too_long (line 1): 81 lines"]
    (tmp_path / "why.py").write_text(f"{EXEMPT} one loop, state in locals\ndef scanner():\n{body}\n    return 1\n")
    assert long_functions(tmp_path / "why.py") == []
