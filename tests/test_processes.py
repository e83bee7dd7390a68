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


def test_what_the_child_reads_into_a_shared_cache_comes_back() -> None:
    """The reading child's hyphenation patterns and fonts' character maps (adapter.share_caches)
    are kept by the process that forks the layout processes; what was there stays."""
    cache = {"before": os.getpid()}
    overlap.share_cache(cache)
    overlap.share_cache(cache)  # counts once
    try:

        def work() -> int:
            cache["read"] = os.getpid()
            cache["before"] = -1  # a key the parent had: not sent back
            return 7

        assert overlap.in_child(work, lambda: None) == 7
        assert cache["read"] != os.getpid() if overlap.can_fork() else cache["read"] == os.getpid()
        if overlap.can_fork():
            assert cache["before"] == os.getpid()
    finally:
        overlap._SHARED.remove(cache)


def test_the_hyphenation_patterns_are_read_once_for_every_layout_process(project) -> None:
    """Read by the child that reads the chapters, they reach the layout processes, which
    do not read them again (each paid about 0.15 s for them in its first part)."""
    code = (
        "import os, sys, pyphen\n"
        "original = pyphen.HyphDict.__init__\n"
        "def counted(self, path):\n"
        "    print('read', path.name, os.getpid(), file=sys.stderr, flush=True)\n"
        "    original(self, path)\n"
        "pyphen.HyphDict.__init__ = counted\n"
        "from build_report.cli import main\n"
        "main()\n"
    )
    text = "Characteristically internationalized responsibilities. " * 900
    for n in range(1, 5):
        project.write(f"chapters/0{n}-part.md", f"# Part {n}\n\n{text}\n")
    result = subprocess.run(
        [sys.executable, "-c", code, "pdf", "-C", str(project.root), "--jobs", "2"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr
    reads = [line for line in result.stderr.splitlines() if line.startswith("read ")]
    assert len(reads) == 1 and "hyph_en" in reads[0], result.stderr


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
