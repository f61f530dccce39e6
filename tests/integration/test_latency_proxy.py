"""``benchmarks/latency_proxy.py``, which ``benchmarks/fleet.py --latency-ms`` puts between nexo
and PostgreSQL: every byte arrives, in order, and each round trip costs 2 × the delay more."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from tests.conftest import POSTGRES_URL, _server_unavailable

PROXY = Path(__file__).resolve().parents[2] / "benchmarks" / "latency_proxy.py"


def _round_trip(url: str) -> tuple[float, str]:
    eng = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        with eng.connect() as conn:
            conn.exec_driver_sql("SELECT 1").scalar()
            times = []
            for _ in range(5):
                t0 = time.perf_counter()
                conn.exec_driver_sql("SELECT 1").scalar()
                times.append(time.perf_counter() - t0)
            big = conn.exec_driver_sql("SELECT string_agg(md5(i::text), '') FROM generate_series(1, 20000) i").scalar()
        return min(times), big
    finally:
        eng.dispose()


def test_proxy_forwards_everything_and_adds_the_delay_both_ways():
    url = make_url(POSTGRES_URL)
    try:
        direct, expected = _round_trip(POSTGRES_URL)
    except sa.exc.OperationalError as exc:
        _server_unavailable("postgresql", POSTGRES_URL, exc)
    proc = subprocess.Popen([sys.executable, str(PROXY), "--delay-ms", "25", "--upstream",
                             f"{url.host or '127.0.0.1'}:{url.port or 5432}"], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line.startswith("listening on "), line
        via = url.set(host="127.0.0.1", port=int(line.split()[-1])).render_as_string(hide_password=False)
        proxied, got = _round_trip(via)
    finally:
        proc.terminate()
        assert proc.wait(10) is not None
    assert got == expected and len(got) == 640_000  # 640 kB: many chunks, kept in order
    assert proxied >= 0.050 > direct, (proxied, direct)  # 25 ms each way
    if proxied > 0.5:
        pytest.fail(f"a round trip took {proxied:.3f} s: chunks are held behind each other")
