"""Preparing a build in a forked child: results, errors and crashes come back; the process that
lays out never loads the Markdown and template stack."""

from __future__ import annotations

import os
import subprocess
import sys
import threading

import pytest
from build_report import processes as overlap
from build_report.errors import BuildError

from tests.conftest import REPO


def test_the_result_comes_back_from_another_process() -> None:
    parent = os.getpid()
    seen: list[int] = []
    pid = overlap.in_child(lambda: os.getpid(), lambda: seen.append(os.getpid()))
    assert seen == [parent]
    assert pid != parent if overlap.can_fork() else pid == parent


def test_an_error_for_the_user_is_raised_as_it_was() -> None:
    def fail():
        raise BuildError("chapters/02-b.md", "bad front matter", "fix it", 3)

    with pytest.raises(BuildError) as caught:
        overlap.in_child(fail, lambda: None)
    assert str(caught.value) == "chapters/02-b.md:3: bad front matter; fix it"


def test_a_crash_is_a_bug_with_its_traceback() -> None:
    def crash():
        return {}["missing"]

    with pytest.raises((RuntimeError, KeyError)) as caught:
        overlap.in_child(crash, lambda: None)
    if overlap.can_fork():
        assert "KeyError" in str(caught.value) and "crash" in str(caught.value)


def test_no_fork_while_threads_run() -> None:
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait)
    thread.start()
    try:
        assert not overlap.can_fork()
        assert overlap.in_child(lambda: os.getpid(), lambda: None) == os.getpid()
    finally:
        stop.set()
        thread.join()


def test_the_laying_out_process_never_loads_markdown_or_templates(tmp_path) -> None:
    code = (
        "import sys\n"
        "from build_report.cli import main\n"
        f"sys.argv = ['build-report', 'pdf', '-C', {str(REPO)!r}, '--no-cache', "
        f"'-o', {str(tmp_path / 'b.pdf')!r}]\n"
        "try:\n    main()\n"
        "except SystemExit as done:\n    assert not done.code, done.code\n"
        "print(sorted(m for m in ('jinja2', 'markdown_it', 'yaml', 'nh3', 'weasyprint')"
        " if m in sys.modules))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "['weasyprint']"
    assert (tmp_path / "b.pdf").stat().st_size > 10_000
