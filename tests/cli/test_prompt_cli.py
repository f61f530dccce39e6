"""Confirmation prompts on a real pseudo-terminal (the prompt path runs only on a terminal)."""

from __future__ import annotations

import json
import os
import pty
import select
import signal
import sys
import time
from pathlib import Path

from nexo_studio.cli.main import main
from tests.cli.test_cli import NEXO
from tests.helpers.projects import table_project


def run_on_terminal(args: list[str], answer: str, timeout: float = 30,
                    stdout_file: Path | None = None, prompt: bytes = b"[y/N]") -> tuple[int, str]:
    """Run ``nexo ARGS`` on a pty, type ``answer`` when ``prompt`` first appears; (exit code, all
    output). With ``stdout_file``, stdout goes there (stdin and stderr stay on the terminal)."""
    env = {**os.environ, "NEXO_NO_KEYRING": "1", "NO_COLOR": "1"}
    pid, fd = pty.fork()
    if pid == 0:  # the child: the real entry point, stdin/stdout/stderr on the terminal
        if stdout_file is not None:
            os.dup2(os.open(stdout_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), 1)
        os.execvpe(sys.executable, [*NEXO, *args], env)
    out, answered, deadline = b"", False, time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.5)
        if not ready:
            continue
        try:
            chunk = os.read(fd, 4096)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        out += chunk
        if not answered and prompt in out:
            os.write(fd, answer.encode() + b"\n")
            answered = True
    done, status = os.waitpid(pid, os.WNOHANG)
    if not done:  # still waiting (for an answer never asked on the terminal): never hang the suite
        if time.monotonic() >= deadline:
            os.kill(pid, signal.SIGKILL)
        _, status = os.waitpid(pid, 0)
    os.close(fd)
    assert answered, out.decode(errors="replace")
    return os.waitstatus_to_exitcode(status), out.decode(errors="replace")


def test_answering_no_to_rollback_says_cancelled_and_exits_2(tmp_path):
    m, db = tmp_path / "m", tmp_path / "x.db"
    table_project(m, 2)
    base = ["--db", f"sqlite:///{db}", "--migrations", str(m)]
    assert main([*base, "deploy", "--no-backup"]) == 0
    code, out = run_on_terminal([*base, "rollback", "--to", "0"], "n")
    assert code == 2, out
    assert "cancelled" in out and "--yes" not in out, out
    assert main([*base, "status", "--json"]) == 0  # nothing rolled back
    import sqlalchemy as sa

    with sa.create_engine(f"sqlite:///{db}").connect() as c:
        assert c.exec_driver_sql("SELECT COUNT(*) FROM __Migrations WHERE status = 'applied'").scalar() == 2


def test_answering_yes_on_a_terminal_rolls_back(tmp_path):
    m, db = tmp_path / "m", tmp_path / "x.db"
    table_project(m, 2)
    base = ["--db", f"sqlite:///{db}", "--migrations", str(m)]
    assert main([*base, "deploy", "--no-backup"]) == 0
    code, out = run_on_terminal([*base, "rollback", "--to", "0"], "y")
    assert code == 0 and "2 migration(s) rolled back" in out, out


def test_json_rollback_on_a_terminal_keeps_the_prompt_off_stdout(tmp_path):
    m, db = tmp_path / "m", tmp_path / "x.db"
    table_project(m, 2)
    base = ["--db", f"sqlite:///{db}", "--migrations", str(m)]
    assert main([*base, "deploy", "--no-backup"]) == 0
    out_file = tmp_path / "out.json"
    code, terminal = run_on_terminal([*base, "rollback", "--to", "0", "--json"], "n", stdout_file=out_file)
    doc = json.loads(out_file.read_text())  # the one document, nothing else
    assert code == 2 and doc["ok"] is False and doc["error"]["type"] == "ConfirmationDeclined"
    assert "[y/N]" in terminal and "2 migration(s) to roll back" in terminal
    code, terminal = run_on_terminal([*base, "rollback", "--to", "0", "--json"], "y", stdout_file=out_file)
    doc = json.loads(out_file.read_text())
    assert code == 0 and doc["ok"] and len(doc["rolled_back"]) == 2
