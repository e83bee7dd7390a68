"""The benchmark harness runs (CI proves it at x1); its timings are not asserted anywhere."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO


@pytest.mark.slow
def test_bench_runs_at_x1(tmp_path: Path) -> None:
    out = tmp_path / "BENCH.md"
    done = subprocess.run(
        [
            sys.executable,
            str(REPO / "bench" / "run.py"),
            "--scales",
            "1",
            "--runs",
            "1",
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
    table = out.read_text()
    assert re.search(r"^\| x1 \| \d+ \| [\d.]+ \|", table, re.M)  # a row with pages, times
    assert "<!-- bench:start -->" in table and "--help" in table
