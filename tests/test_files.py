"""Atomic outputs: a failed, interrupted or disk-full build leaves the old output intact."""

from __future__ import annotations

import errno
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from build_report import files

from tests.conftest import Project

PDF = Path("build/fixture-book.pdf")


def no_temporaries(folder: Path) -> bool:
    return not [p for p in folder.rglob("*") if ".tmp" in p.name]


@pytest.fixture
def built(project: Project) -> tuple[Project, bytes]:
    assert project.build("pdf").exit_code == 0
    return project, (project.root / PDF).read_bytes()


def test_disk_full_keeps_the_old_output(built, monkeypatch) -> None:
    project, before = built
    project.write("chapters/01-first.md", "---\ntitle: Changed\n---\n\nNew text.\n")

    def full(fd):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(files.os, "fsync", full)
    result = project.build("pdf")
    assert result.exit_code == 1
    assert "No space left on device" in result.output and "Traceback" not in result.output
    assert (project.root / PDF).read_bytes() == before
    assert no_temporaries(project.root / "build")


def test_ctrl_c_keeps_the_old_output(built, monkeypatch) -> None:
    project, before = built
    project.write("chapters/01-first.md", "---\ntitle: Changed\n---\n\nNew text.\n")

    def interrupted(fd):
        raise KeyboardInterrupt

    monkeypatch.setattr(files.os, "fsync", interrupted)
    result = project.build("pdf")
    assert result.exit_code != 0 and "Aborted" in result.output
    assert (project.root / PDF).read_bytes() == before
    assert no_temporaries(project.root / "build")


def test_sigterm_keeps_the_old_output(built) -> None:
    project, before = built
    text = "\n\n".join(f"Paragraph {n} " + "words " * 80 for n in range(3000))
    project.write("chapters/01-first.md", "---\ntitle: Long\n---\n\n" + text + "\n")
    process = subprocess.Popen(
        [sys.executable, "-m", "build_report", "pdf", "-C", str(project.root)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    time.sleep(2.0)
    assert process.poll() is None, "the build finished before it could be interrupted"
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode != 0
    assert b"Traceback" not in stderr
    assert (project.root / PDF).read_bytes() == before
    assert no_temporaries(project.root / "build")


def test_atomic_writer_replaces_in_one_step(tmp_path: Path) -> None:
    target = tmp_path / "out.pdf"
    target.write_bytes(b"old")
    with files.atomic_writer(target) as handle:
        handle.write(b"new")
        assert target.read_bytes() == b"old"  # nothing visible until the rename
    assert target.read_bytes() == b"new"
    assert oct(target.stat().st_mode & 0o777) == "0o644"


def test_refuses_to_overwrite_files_it_did_not_write(project: Project) -> None:
    for name in ("notes.txt", "LICENSE"):
        notes = project.root / name
        notes.write_text("mine")
        result = project.build("pdf", "-o", notes)
        assert result.exit_code == 1 and "did not write" in result.output
        assert notes.read_text() == "mine"
