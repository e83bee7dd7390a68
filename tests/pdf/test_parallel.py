"""Chapter-parallel rendering (--jobs) gives the same book as a single process: outline, page
labels, contents, running heads, "page X of Y" footers and link targets."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pypdf import PdfReader

from tests.conftest import REPO, new_project, run


def outline(reader: PdfReader, items=None) -> list:
    out = []
    for item in reader.outline if items is None else items:
        if isinstance(item, list):
            out.append(outline(reader, item))
        else:
            out.append((item.title, reader.get_destination_page_number(item)))
    return out


def link_targets(reader: PdfReader) -> list:
    named = reader.named_destinations
    found = []
    for index, page in enumerate(reader.pages):
        for annot in page.get("/Annots", []) or []:
            annot = annot.get_object()
            dest = annot.get("/Dest")
            if dest is not None:
                target = named.get(str(dest))
                page_number = None if target is None else reader.get_destination_page_number(target)
                found.append((index, str(dest), page_number))
            elif annot.get("/A") is not None:
                found.append((index, str(annot["/A"].get("/URI"))))
    return found


def furniture(reader: PdfReader, title: str) -> list[list[str]]:
    return [
        [line for line in page.extract_text().splitlines() if line.startswith(("page ", title))]
        for page in reader.pages
    ]


def assert_same_book(single: Path, parallel: Path, title: str) -> None:
    a, b = PdfReader(single), PdfReader(parallel)
    assert len(a.pages) == len(b.pages)
    assert outline(a) == outline(b)
    assert a.page_labels == b.page_labels
    assert a.pages[1].extract_text() == b.pages[1].extract_text()  # the contents
    assert link_targets(a) == link_targets(b)
    assert furniture(a, title) == furniture(b, title)
    assert a.metadata.title == b.metadata.title and a.trailer["/Root"]["/Lang"] == "en-US"
    for index in range(1, len(a.pages)):  # the body text of every page
        assert a.pages[index].extract_text() == b.pages[index].extract_text(), index


@pytest.fixture(autouse=True)
def small_parts(monkeypatch):
    """Every chapter of these small books is a part of its own, as long chapters are."""
    from build_report.pdf import parallel

    monkeypatch.setattr(parallel, "PART_CHARS", 1)


@pytest.fixture(scope="module")
def linked_book(tmp_path_factory):
    book = new_project(tmp_path_factory.mktemp("parallel") / "book")
    body = "Words of the chapter that fill a line or two of the page. " * 12
    for n in range(1, 6):
        sections = "\n\n".join(
            f"## Part {n}.{k}\n\n{body}[^n{k}] See [chapter {n % 5 + 1}]"
            f"(0{n % 5 + 1}-c.md#part-{n % 5 + 1}-1) and [the web](https://example.org).\n\n"
            f"[^n{k}]: A note in chapter {n}."
            for k in range(1, 4 + n)
        )
        book.write(f"chapters/0{n}-c.md", f"---\ntitle: Chapter {n}\n---\n\n{sections}\n")
    return book


def test_linked_book(linked_book, tmp_path: Path) -> None:
    single, parallel = tmp_path / "single.pdf", tmp_path / "parallel.pdf"
    assert linked_book.build("pdf", "--no-cache", "-o", single).exit_code == 0
    result = linked_book.build("pdf", "--no-cache", "--jobs", "2", "-o", parallel)
    assert result.exit_code == 0, result.output
    assert_same_book(single, parallel, "Fixture Book")
    targets = link_targets(PdfReader(parallel))
    assert all(t[2] is not None for t in targets if len(t) == 3)  # every internal link lands
    assert any(len(t) == 3 and t[0] != t[2] for t in targets)  # some cross chapters
    assert_every_stream_is_indirect(parallel)


def assert_every_stream_is_indirect(path: Path) -> None:
    """A strict reader (pdfminer, under pdfplumber) finds every page: no page's contents hold
    a stream written inline (streams must be indirect objects; one inline lost all pages
    after it)."""
    import pdfplumber

    with pdfplumber.open(path) as pdf:
        assert len(pdf.pages) == len(PdfReader(path).pages)
    assert not re.search(rb"/Contents \[[^\]]*<<", path.read_bytes())


@pytest.mark.parametrize("jobs", ["2", "3", "0"])  # 0: auto, one process for a book this short
@pytest.mark.slow
def test_default_briefing(tmp_path: Path, jobs: str) -> None:
    single, parallel = tmp_path / "single.pdf", tmp_path / "parallel.pdf"
    assert run("pdf", "-C", REPO, "--no-cache", "-o", single).exit_code == 0
    result = run("pdf", "-C", REPO, "--no-cache", "--jobs", jobs, "-o", parallel)
    assert result.exit_code == 0, result.output
    assert_same_book(single, parallel, "Trump & Putin")


@pytest.mark.slow
def test_without_fork_workers_are_spawned(linked_book, tmp_path: Path, monkeypatch) -> None:
    """Windows and macOS: no fork (or none safe). The build prepares in this process and the
    layout workers are spawned; the book is the same."""
    import multiprocessing

    from build_report import processes

    monkeypatch.setattr(processes, "can_fork", lambda: False)
    spawned = []
    original = multiprocessing.get_context
    monkeypatch.setattr(
        multiprocessing,
        "get_context",
        lambda method=None: spawned.append(method) or original(method),
    )
    single, parallel = tmp_path / "single.pdf", tmp_path / "spawned.pdf"
    assert linked_book.build("pdf", "--no-cache", "-o", single).exit_code == 0
    result = linked_book.build("pdf", "--no-cache", "--jobs", "2", "-o", parallel)
    assert result.exit_code == 0, result.output
    assert spawned == ["spawn"]
    assert_same_book(single, parallel, "Fixture Book")


def test_auto_jobs_depends_on_length(linked_book) -> None:
    from build_report.pdf.writer import PARALLEL_FROM_CHARS, _jobs
    from build_report.project.chapters import load_book
    from build_report.project.config import load_config

    book = load_book(load_config(linked_book.root))
    assert _jobs(book, 0) == 1 and _jobs(book, 3) == 3
    size = sum(len(t.content) for ch in book.chapters for t in ch.tokens)
    assert size < PARALLEL_FROM_CHARS


def copy_of(book, tmp_path: Path):
    import shutil

    from tests.conftest import Project

    shutil.copytree(book.root, tmp_path / "copy", ignore=shutil.ignore_patterns("build"))
    return Project(tmp_path / "copy")


def test_errors_in_a_worker_reach_the_user(linked_book, tmp_path: Path) -> None:
    linked_book = copy_of(linked_book, tmp_path)
    linked_book.write(
        "chapters/loop.svg",
        '<svg xmlns="http://www.w3.org/2000/svg">'
        '<image href="loop.svg" width="9" height="9"/></svg>',
    )
    linked_book.write("chapters/04-c.md", "---\ntitle: Broken\n---\n\n![loop](loop.svg)\n")
    result = linked_book.build("pdf", "--no-cache", "--jobs", "2", "-o", tmp_path / "x.pdf")
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "chapters/04-c.md" in result.output and "loop.svg" in result.output
    assert not (tmp_path / "x.pdf").exists()


def test_strict_applies_to_every_part(linked_book, tmp_path: Path) -> None:
    linked_book = copy_of(linked_book, tmp_path)
    linked_book.write("chapters/06-c.md", "---\ntitle: Loose\n---\n\nSee [x](#nowhere).\n")
    out = tmp_path / "strict.pdf"
    result = linked_book.build("pdf", "--no-cache", "--jobs", "2", "--strict", "-o", out)
    assert result.exit_code == 1 and "chapters/06-c.md:5" in result.output
    assert not out.exists()


@pytest.mark.slow
def test_an_edit_lays_out_only_its_part(linked_book, tmp_path: Path) -> None:
    """After an edit, unchanged parts come from build/.cache/parts; the book still equals a
    single-process build, also when the edit changes the page count (footers, contents)."""
    book = copy_of(linked_book, tmp_path)
    out = tmp_path / "jobs.pdf"
    first = run("-v", "pdf", "-C", book.root, "--jobs", "2", "-o", out)
    assert first.exit_code == 0, first.output
    laid_out = [line for line in first.output.splitlines() if "parts in 2 processes" in line]
    assert laid_out and "laying out 5 of 5 parts" in laid_out[0], first.output
    pages_before = len(PdfReader(out).pages)

    longer = (book.root / "chapters/03-c.md").read_text(encoding="utf-8")
    longer += "\n\n## Added\n\n" + "An added paragraph that runs on for a line or so. " * 80
    book.write("chapters/03-c.md", longer)
    again = run("-v", "pdf", "-C", book.root, "--jobs", "2", "-o", out)
    assert again.exit_code == 0, again.output
    assert "laying out 1 of 5 parts in 2 processes (4 unchanged)" in again.output, again.output
    assert len(PdfReader(out).pages) > pages_before

    single = tmp_path / "single.pdf"
    assert book.build("pdf", "--no-cache", "-o", single).exit_code == 0
    assert_same_book(single, out, "Fixture Book")

    # a small edit keeps the page count, and so the footers too
    book.write("chapters/03-c.md", longer.replace("An added paragraph", "A new paragraph", 1))
    small = run("-v", "pdf", "-C", book.root, "--jobs", "2", "-o", out)
    assert "laying out 1 of 5 parts" in small.output, small.output
    assert "the contents and 0 runs of footers" in small.output, small.output
    assert book.build("pdf", "--no-cache", "-o", single).exit_code == 0
    assert_same_book(single, out, "Fixture Book")


@pytest.mark.slow
def test_no_cache_and_changed_styles_lay_out_every_part(linked_book, tmp_path: Path) -> None:
    book = copy_of(linked_book, tmp_path)
    out = tmp_path / "jobs.pdf"
    assert run("pdf", "-C", book.root, "--jobs", "2", "-o", out).exit_code == 0
    forced = run("-v", "pdf", "-C", book.root, "--jobs", "2", "--no-cache", "-o", out)
    assert "laying out 5 of 5 parts" in forced.output, forced.output
    css = book.root / "styles" / "print.css"
    css.write_text(css.read_text(encoding="utf-8") + "\n.chapter { color: #111; }\n", "utf-8")
    restyled = run("-v", "pdf", "-C", book.root, "--jobs", "2", "-o", out)
    assert "laying out 5 of 5 parts" in restyled.output, restyled.output


@pytest.mark.slow
def test_stitched_book_stays_compact(tmp_path: Path) -> None:
    """Footers are laid over the pages as form XObjects, so page contents stay compressed."""
    single, parallel = tmp_path / "single.pdf", tmp_path / "parallel.pdf"
    assert run("pdf", "-C", REPO, "--no-cache", "-o", single).exit_code == 0
    assert run("pdf", "-C", REPO, "--no-cache", "--jobs", "2", "-o", parallel).exit_code == 0
    for page in PdfReader(parallel).pages:
        for stream in page.get_object()["/Contents"]:
            stream = stream.get_object()
            assert "/Filter" in stream or len(stream.get_data()) < 64  # only our q / Q ... Do
    # every part embeds its own font subsets; the text itself is not stored twice
    assert parallel.stat().st_size < 8 * single.stat().st_size
