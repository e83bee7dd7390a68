"""`--since REV`: change bars beside the passages changed since a git revision, the "What
changed" page with their pages, and clear errors without git, a repository or the revision."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pdfplumber
import pytest
from lxml import etree

from tests.conftest import Project, assert_clean_error, new_project

FILLER = "This paragraph says the same thing in every revision of the book, word for word."
OLD = "The harbour was rebuilt in the year the old lighthouse fell into the sea."
NEW = "The harbour was rebuilt twice, once after the storm and once after the fire."
GONE = "A paragraph that the second revision removes from the first chapter."


def git(root: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-c", "user.email=t@example.org", "-c", "user.name=T", "-C", str(root), *args],
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip()


def _chapter(title: str, paragraphs: list[str]) -> str:
    return f"---\ntitle: {title}\n---\n\n" + "\n\n".join(paragraphs) + "\n"


@pytest.fixture
def repo(tmp_path: Path) -> Project:
    """A book in a git repository: one commit, then edits left in the working tree."""
    book = new_project(tmp_path / "book")
    first = [f"{FILLER} ({n})" for n in range(8)]
    second = [f"{FILLER} [{n}]" for n in range(14)]
    book.write("chapters/01-harbour.md", _chapter("The Harbour", [*first[:4], GONE, *first[4:]]))
    book.write("chapters/02-town.md", _chapter("The Town", [*second[:9], OLD, *second[9:]]))
    book.write("chapters/03-old.md", _chapter("A Chapter Dropped", ["Soon gone."]))
    git(book.root, "init", "-q")
    git(book.root, "add", "-A")
    git(book.root, "commit", "-qm", "first edition")
    book.write("chapters/01-harbour.md", _chapter("The Harbour", first))
    book.write("chapters/02-town.md", _chapter("The Town", [*second[:9], NEW, *second[9:]]))
    (book.root / "chapters/03-old.md").unlink()
    book.write("chapters/04-new.md", _chapter("A Chapter Added", ["Brand new text here."]))
    return book


def _words_page(pdf, needle: str) -> tuple[int, list[dict]]:
    """The page (0-based) and the words from where `needle` starts in the text: its last
    occurrence (the What changed list, which quotes it, comes before the text)."""
    start = needle.split()[:3]
    found = []
    for number, page in enumerate(pdf.pages):
        words = page.extract_words()
        for i in range(len(words) - 2):
            if [w["text"] for w in words[i : i + 3]] == start:
                found.append((number, words[i:]))
    assert found, f"{needle!r} not in the PDF"
    return found[-1]


def _bars(page) -> list[dict]:
    """Thin vertical shapes: the change bars (a border drawn as a rect or a line)."""
    shapes = list(page.rects) + list(page.lines)
    return [s for s in shapes if s["x1"] - s["x0"] < 4 and s["bottom"] - s["top"] > 8]


def test_a_change_bar_beside_the_edited_paragraph_and_its_page_listed(repo: Project) -> None:
    out = repo.root / "since.pdf"
    result = repo.build("pdf", "--since", "HEAD", "-o", out)
    assert result.exit_code == 0, result.output
    with pdfplumber.open(out) as pdf:
        number, words = _words_page(pdf, NEW)
        page = pdf.pages[number]
        top, x0 = words[0]["top"], words[0]["x0"]
        bars = _bars(page)
        beside = [b for b in bars if b["x1"] < x0 and x0 - b["x1"] < 30]
        assert any(b["top"] <= top + 2 and b["bottom"] >= top + 8 for b in beside), bars
        # the unchanged paragraph before it has no bar
        filler = [w for w in page.extract_words() if w["text"] == "[8])" or w["text"] == "[8]"]
        if filler:
            assert not any(b["top"] <= filler[0]["top"] <= b["bottom"] for b in bars)
        # the What changed page follows the contents, and names the passage with its page
        texts = [p.extract_text() or "" for p in pdf.pages]
        listing = next(i for i, t in enumerate(texts) if t.startswith("What changed"))
        assert "Contents" in texts[listing - 1] or "Contents" in "".join(texts[:listing])
        text = texts[listing]
    entry = re.search(r"CHANGED Chapter 2 · The Town\n(.+) (\d+)\n", text)
    assert entry, text
    assert entry.group(1).startswith("The harbour was rebuilt twice")
    assert int(entry.group(2)) == number + 1  # the page it is on ("page X of Y" counts all)
    assert re.search(r"REMOVED Chapter 1 · The Harbour\nA paragraph that the second", text)
    assert re.search(r"ADDED Chapter 3 · A Chapter Added\nBrand new text here\.", text)
    assert "REMOVED Chapter 3 · A Chapter Dropped\nSoon gone." in text
    assert FILLER[:30] not in text  # unchanged passages are not listed


def test_epub_ready_html_marks_and_links_the_change(repo: Project) -> None:
    result = repo.build("html", "--since", "HEAD")
    assert result.exit_code == 0, result.output
    folder = repo.root / "build" / "html"
    ns = {"x": "http://www.w3.org/1999/xhtml"}
    town = etree.parse(str(folder / "town.xhtml"))
    marked = town.xpath("//x:p[contains(@class, 'changed')]", namespaces=ns)
    assert ["".join(p.itertext()).strip() for p in marked] == [NEW]
    index = etree.parse(str(folder / "index.xhtml"))
    links = index.xpath("//x:section[@id='what-changed']//x:a/@href", namespaces=ns)
    assert f"town.xhtml#{marked[0].get('id')}" in links


def test_handout_lists_changes_under_its_header(repo: Project) -> None:
    out = repo.root / "h.pdf"
    result = repo.build("handout", "--since", "HEAD", "-o", out)
    assert result.exit_code == 0, result.output
    with pdfplumber.open(out) as pdf:
        first = pdf.pages[0].extract_text()
        number, words = _words_page(pdf, NEW)
        bars = _bars(pdf.pages[number])
    assert "What changed" in first and "The harbour was rebuilt twice" in first
    assert any(b["x1"] < words[0]["x0"] and b["top"] <= words[0]["top"] + 2 for b in bars)


def test_nothing_changed_says_so(repo: Project) -> None:
    git(repo.root, "add", "-A")
    git(repo.root, "commit", "-qm", "second edition")
    out = repo.root / "same.pdf"
    assert repo.build("pdf", "--since", "HEAD", "-o", out).exit_code == 0
    with pdfplumber.open(out) as pdf:
        text = "\n".join(p.extract_text() or "" for p in pdf.pages)
        assert not any(_bars(p) for p in pdf.pages)
    assert "No passage has changed." in text


def test_unknown_revision_is_one_clear_error(repo: Project) -> None:
    result = repo.build("pdf", "--since", "no-such-tag")
    assert "unknown revision 'no-such-tag'" in assert_clean_error(result, names="--since")
    assert not (repo.root / "build").exists() or not list((repo.root / "build").glob("*.pdf"))


@pytest.mark.parametrize("revision", ["--output=x", "-rf", "HEAD foo", "a\nb"])
def test_a_revision_that_looks_like_an_option_is_refused(repo: Project, revision: str) -> None:
    result = repo.build("pdf", f"--since={revision}")
    assert "is not a revision" in assert_clean_error(result, names="--since")


def test_outside_a_repository_is_one_clear_error(project: Project) -> None:
    result = project.build("pdf", "--since", "HEAD")
    assert "not in a git repository" in assert_clean_error(result, names="--since")


def test_without_git_is_one_clear_error(repo: Project, monkeypatch, tmp_path: Path) -> None:
    empty = tmp_path / "no-git"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    result = repo.build("pdf", "--since", "HEAD")
    assert "git is not installed" in assert_clean_error(result, names="--since")


@pytest.mark.slow
def test_epub_with_changes_passes_epubcheck(repo: Project) -> None:
    result = repo.build("epub", "--since", "HEAD", "--check")
    assert result.exit_code == 0, result.output
