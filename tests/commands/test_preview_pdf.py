"""`preview --pdf`: a long-lived worker rebuilds build/<slug>.pdf on every change, laying out
only what the edit touched, and a page shows the PDF and reloads it (issue 17)."""

from __future__ import annotations

import io
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from pypdf import PdfReader

from tests.conftest import Project, new_project
from tests.pdf.test_parallel_default import alive, descendants

PDF = Path("build/fixture-book.pdf")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def get(url: str, host: str | None = None) -> tuple[int, bytes, str]:
    request = urllib.request.Request(url, headers={"Host": host} if host else {})
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, answer.read(), answer.headers.get("Content-Type", "")
    except urllib.error.HTTPError as error:
        return error.code, error.read(), ""
    except urllib.error.URLError:  # not listening yet
        return 0, b"", ""


def text_of(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def book(root: Path) -> Project:
    project = new_project(root)
    for n, title in enumerate(["First", "Second", "Third"], start=1):
        body = f"The opening words of chapter {n}. " * 30
        project.write(f"chapters/0{n}-c.md", f"---\ntitle: {title}\n---\n\n{body}\n")
    return project


def wait(condition, seconds: float = 120):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        time.sleep(0.05)
    raise AssertionError("timed out")


@pytest.mark.slow
def test_the_live_pdf_picks_up_an_edit(tmp_path: Path) -> None:
    project = book(tmp_path / "book")
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "build_report", "preview", "--pdf", "--port", str(port)]
        + ["-C", str(project.root)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        pdf = project.root / PDF
        wait(lambda: pdf.exists() and get(base + "/__build_report__/version")[0] == 200)
        status, page, kind = get(base + "/")
        assert status == 200 and kind.startswith("text/html")
        assert b"<iframe" in page and b"/book.pdf?v=1" in page and b"location.reload" in page
        status, served, kind = get(base + "/book.pdf")
        assert status == 200 and kind == "application/pdf"
        assert served == pdf.read_bytes() and "The opening words of chapter 2" in text_of(served)
        assert get(base + "/book.pdf", host="evil.example:80")[0] == 403

        before = pdf.stat().st_ino
        project.write(
            "chapters/02-c.md", "---\ntitle: Second\n---\n\nA paragraph written just now.\n"
        )
        wait(lambda: get(base + "/__build_report__/version")[1] == b"2")
        assert pdf.stat().st_ino != before  # replaced in one step (a new file, renamed)
        new = pdf.read_bytes()
        assert "A paragraph written just now." in text_of(new)
        assert "The opening words of chapter 3" in text_of(new)
        assert get(base + "/book.pdf")[1] == new
        assert b"/book.pdf?v=2" in get(base + "/")[1]

        # a broken edit: the error in the page, the last good PDF kept, the server running
        project.write("chapters/02-c.md", "---\ntitle: [unclosed\n---\n\nText.\n")
        wait(lambda: get(base + "/__build_report__/version")[1] == b"3")
        status, page, _ = get(base + "/")
        assert b"build-error" in page and b"02-c.md" in page
        assert pdf.read_bytes() == new
        assert not [p for p in (project.root / "build").rglob("*") if ".tmp" in p.name]
        engine = descendants(server.pid)
        assert engine  # the worker that keeps the engine loaded
    finally:
        server.send_signal(signal.SIGTERM)
        _, stderr = server.communicate(timeout=60)
    assert server.returncode is not None and b"Traceback" not in stderr, stderr
    wait(lambda: not [pid for pid in engine if alive(pid)], 10)  # it ends with the server


def test_an_edit_lays_out_its_chapter_only(tmp_path: Path, capsys, monkeypatch) -> None:
    """The live build (Options.live) is made of small parts, however short the book: an edit
    lays out its part again; the contents and the footers come from the part store
    while the numbers stay the same; the PDF equals a full build's, dated by its own clock
    (the kept contents were laid out at another time)."""
    from build_report import console
    from build_report.commands.build import build
    from build_report.pdf import parallel
    from build_report.writers import Options

    from tests.pdf.test_parallel import assert_same_book

    monkeypatch.setattr(parallel, "LIVE_PART_CHARS", 1)  # these short chapters: a part each
    project = book(tmp_path / "book")
    live = Options(project=project.root, live=True)
    console.configure(False, True)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    try:
        build("pdf", live)
        first = capsys.readouterr().err
        assert "laying out 3 of 3 parts in" in first, first
        project.write("chapters/02-c.md", (project.root / "chapters/02-c.md").read_text() + "!\n")
        monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000009")
        build("pdf", live)
        again = capsys.readouterr().err
    finally:
        console.configure(True, False)
    assert "laying out 1 of 3 parts in" in again and "(2 unchanged)" in again, again
    assert "0 runs of footers" in again, again
    single = tmp_path / "single.pdf"
    one = Options(project=project.root, output=single, no_cache=True, jobs=1)
    build("pdf", one)
    assert_same_book(single, project.root / PDF, "Fixture Book")
    assert PdfReader(single).metadata == PdfReader(project.root / PDF).metadata


def test_the_worker_warms_on_the_book_after_its_first_build(tmp_path) -> None:
    """After its first PDF, the worker reads the book and lays out a chapter in its own
    process, so that each rebuild forks from a process that has Markdown and the templates
    loaded and the book's hyphenation patterns read (the sample paragraph of the warm-up
    reads none). Run in a child process: it loads modules for good."""
    book = new_project(tmp_path / "book")
    body = "Characteristically representational responsibilities notwithstanding. " * 40
    for n in (1, 2):
        book.write(f"chapters/0{n}-c.md", f"---\ntitle: Chapter {n}\n---\n\n{body}\n")
    code = (
        "import sys, pyphen\n"
        "from pathlib import Path\n"
        "from build_report.commands.preview_pdf import _warm_up_on_book\n"
        "from build_report.processes import scratch_folder\n"
        "from build_report.writers import Options\n"
        "assert 'markdown_it' not in sys.modules and not pyphen.hdcache\n"
        "with scratch_folder():\n"
        f"    _warm_up_on_book(Options(project=Path({str(book.root)!r}), live=True))\n"
        "print('markdown_it' in sys.modules, 'jinja2' in sys.modules, len(pyphen.hdcache))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["True", "True", "1"], done.stdout
