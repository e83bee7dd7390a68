"""Parallel by default (issue 17): with no --jobs a long book is laid out in one process per
core and equals a single-process build page for page; a short one stays in one process; an
interrupt ends every worker and leaves the earlier output and nothing else; --strict and the
page and time limits hold for the whole book, across parts."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from pypdf import PdfReader

from tests.conftest import MINIMAL_TOML, Project, new_project, run
from tests.pdf.test_parallel import assert_same_book, outline

PDF = Path("build/fixture-book.pdf")
WORDS = "Words of a long chapter that fill a line or two of the page, and go on. "


def long_book(root: Path, chapters: int = 4, paragraphs: int = 60) -> Project:
    """`chapters` chapters of about 35,000 characters each: a part of their own each."""
    book = new_project(root)
    for n in range(1, chapters + 1):
        body = "\n\n".join(f"## Section {n}.{k}\n\n" + WORDS * 8 for k in range(1, paragraphs + 1))
        book.write(f"chapters/0{n}-c.md", f"---\ntitle: Chapter {n}\n---\n\n{body}\n")
    return book


@pytest.fixture
def auto_is_parallel(monkeypatch):
    """Any book is "long", on a machine of two cores (the decision itself: next test)."""
    from build_report.pdf import parallel, writer

    monkeypatch.setattr(writer, "PARALLEL_FROM_CHARS", 1)
    monkeypatch.setattr(writer, "cores", lambda: 2)
    monkeypatch.setattr(parallel, "PART_CHARS", 1)


def test_a_long_book_is_parallel_with_no_flag(auto_is_parallel, tmp_path: Path) -> None:
    book = new_project(tmp_path / "book")
    for n in range(1, 5):
        book.write(
            f"chapters/0{n}-c.md",
            f"---\ntitle: Chapter {n}\n---\n\n## Part {n}\n\n" + WORDS * (20 * n) + "\n",
        )
    single = tmp_path / "single.pdf"
    assert book.build("pdf", "--no-cache", "--jobs", "1", "-o", single).exit_code == 0
    result = run("-v", "pdf", "-C", book.root, "--no-cache")
    assert result.exit_code == 0, result.output
    assert "laying out 4 of 4 parts in 2 processes" in result.output, result.output
    assert_same_book(single, book.root / PDF, "Fixture Book")


def test_the_decision_follows_the_estimated_work(tmp_path: Path, monkeypatch) -> None:
    """Below PARALLEL_FROM_CHARS one process (starting others would cost more than they
    save); above it, one per core this process may use; --jobs N as said."""
    from build_report.pdf import writer
    from build_report.project.chapters import load_book
    from build_report.project.config import load_config

    monkeypatch.setattr(writer, "cores", lambda: 3)
    short = load_book(load_config(long_book(tmp_path / "short", 2, 4).root))
    long = load_book(load_config(long_book(tmp_path / "long", 4, 90).root))
    assert writer._jobs(short, 0) == 1 and writer._jobs(short, 2) == 2
    assert writer._jobs(long, 0) == 3 and writer._jobs(long, 1) == 1


def test_a_short_book_stays_in_one_process(project: Project) -> None:
    result = run("-v", "pdf", "-C", project.root)
    assert result.exit_code == 0, result.output
    assert "laying out" in result.output and "processes" not in result.output


def descendants(pid: int) -> set[int]:
    """Every process under `pid`, from /proc."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            parents[int(entry.name)] = int(fields[1])
    found: set[int] = set()
    frontier = {pid}
    while frontier:
        frontier = {p for p, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads processes from /proc")
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_an_interrupt_ends_every_worker_and_keeps_the_old_output(tmp_path: Path, sig) -> None:
    book = long_book(tmp_path / "book", 4, 4)
    assert book.build("pdf").exit_code == 0
    before = (book.root / PDF).read_bytes()
    long_book(tmp_path / "longer", 4, 60)
    for path in (tmp_path / "longer" / "chapters").iterdir():
        (book.root / "chapters" / path.name).write_text(path.read_text())
    process = subprocess.Popen(
        [sys.executable, "-m", "build_report", "pdf", "-C", str(book.root), "--jobs", "2"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    )
    workers: set[int] = set()
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and process.poll() is None:
        under = descendants(process.pid)
        # the layout child and its two workers (the preparing child has ended by then)
        if len(under) >= 3:
            workers = under
            break
        time.sleep(0.05)
    assert workers, "the workers never started"
    time.sleep(0.5)
    assert process.poll() is None, "the build finished before it could be interrupted"
    process.send_signal(sig)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode != 0
    assert b"Traceback" not in stderr
    for _ in range(100):  # orphans are reaped by init: give it a moment
        if not any(alive(pid) for pid in workers):
            break
        time.sleep(0.05)
    assert not [pid for pid in workers if alive(pid)]
    assert (book.root / PDF).read_bytes() == before
    assert not [p for p in (book.root / "build").rglob("*") if ".tmp" in p.name]


def test_max_pages_holds_across_parts(tmp_path: Path) -> None:
    """Each part is under max_pages; the book is not."""
    book = long_book(tmp_path / "book", 4, 30)
    single = book.build("pdf", "--jobs", "1", "--no-cache", "-o", tmp_path / "one.pdf")
    assert single.exit_code == 0, single.output
    pages = len(PdfReader(tmp_path / "one.pdf").pages)
    book.write("report.toml", MINIMAL_TOML + f"[build]\nmax_pages = {pages // 2}\n")
    result = book.build("pdf", "--jobs", "2", "--no-cache", "-o", tmp_path / "x.pdf")
    assert result.exit_code == 1 and f"passed {pages // 2} pages" in result.output, result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "x.pdf").exists()


def test_the_time_limit_holds_across_parts(tmp_path: Path) -> None:
    """The deadline is the build's, not each part's: every worker keeps it, and the build
    stops with the time_limit error once the parts are being laid out."""
    book = long_book(tmp_path / "book", 4, 90)
    book.write("report.toml", MINIMAL_TOML + "[build]\ntime_limit = 3\n")
    out = tmp_path / "x.pdf"
    result = run("-v", "pdf", "-C", book.root, "--jobs", "2", "--no-cache", "-o", out)
    assert result.exit_code == 1 and "time_limit = 3 s" in result.output, result.output
    assert "parts in 2 processes" in result.output, result.output
    assert "Traceback" not in result.output
    assert not out.exists()


def test_strict_holds_across_parts_with_no_flag(auto_is_parallel, tmp_path: Path) -> None:
    book = long_book(tmp_path / "book", 3, 3)
    book.write("chapters/04-c.md", "---\ntitle: Loose\n---\n\nSee [x](#nowhere).\n")
    out = tmp_path / "strict.pdf"
    result = run("-v", "pdf", "-C", book.root, "--no-cache", "--strict", "-o", out)
    assert result.exit_code == 1 and "chapters/04-c.md:5" in result.output, result.output
    assert not out.exists()


@pytest.fixture
def short_pieces(monkeypatch):
    """Chapters of a few pages are "long": cut about every page."""
    from build_report.pdf import split

    monkeypatch.setattr(split, "SPLIT_FROM_CHARS", 4_000)
    monkeypatch.setattr(split, "PIECE_CHARS", 1_500)


def one_long_chapter(root: Path) -> Project:
    book = new_project(root)
    sections = "\n\n".join(
        f"## Section {k}\n\n{WORDS * 6}[^n{k}]\n\n[^n{k}]: Note {k} of the long chapter.\n\n"
        "::: note\n## A heading in a box\n\nIt is not where the chapter is cut.\n:::"
        for k in range(1, 9)
    )
    book.write("chapters/01-long.md", f"---\ntitle: The Long Chapter\n---\n\n{sections}\n")
    book.write(
        "chapters/02-after.md", "---\ntitle: After\n---\n\n## Last\n\nThe end.[^e]\n\n[^e]: E.\n"
    )
    return book


def test_a_long_chapter_is_cut_at_its_sections(short_pieces, tmp_path: Path) -> None:
    """One chapter is most of the book: it is laid out in pieces, in both processes, and the
    book equals the single-process one, which breaks the page at the same sections."""
    from build_report.pdf import parallel
    from build_report.project.chapters import load_book
    from build_report.project.config import load_config

    book = one_long_chapter(tmp_path / "book")
    loaded = load_book(load_config(book.root))
    plan = parallel.plan(loaded, book.root / "x.pdf")
    continued = sum(plan.continued)
    assert continued >= 2, plan.continued

    single, parallel_pdf = tmp_path / "single.pdf", tmp_path / "parallel.pdf"
    assert book.build("pdf", "--no-cache", "--jobs", "1", "-o", single).exit_code == 0
    result = run("-v", "pdf", "-C", book.root, "--no-cache", "--jobs", "2", "-o", parallel_pdf)
    assert result.exit_code == 0, result.output
    assert "in 2 processes" in result.output, result.output
    assert_same_book(single, parallel_pdf, "Fixture Book")

    reader = PdfReader(parallel_pdf)
    texts = [page.extract_text() for page in reader.pages]
    # every piece after the first starts a page with its section's heading
    starts = [i for i, text in enumerate(texts) if text.startswith("Section ")]
    assert len(starts) == continued, texts
    # the running head goes on; the notes are numbered on through the chapter
    assert all("Fixture Book The Long Chapter" in texts[i] for i in range(2, len(texts) - 1))
    notes = re.findall(r"^(\d+)\. Note (\d+) of", "\n".join(texts), re.M)
    assert [int(n) for n, _ in notes] == [int(k) for _, k in notes] == list(range(1, 9))
    # the sections of every piece are under their chapter in the outline
    chapters = outline(reader)
    sections = [title for title, _ in chapters[1] if title.startswith("Section")]
    assert chapters[0][0] == "The Long Chapter" and len(sections) == 8, chapters
