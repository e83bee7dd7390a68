"""The build cache: an unchanged project is reused; any changed input rebuilds."""

from __future__ import annotations

import pytest
from build_report import cache
from PIL import Image

from tests.conftest import Project


@pytest.fixture
def book(project: Project, monkeypatch) -> Project:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    (project.root / "chapters" / "img").mkdir()
    Image.new("RGB", (10, 10), (0, 0, 0)).save(project.root / "chapters" / "img" / "a.png")
    project.write("chapters/01-first.md", "---\ntitle: First\n---\n\n![A square](img/a.png)\n")
    first = project.build("pdf")
    assert first.exit_code == 0 and "up to date" not in first.output
    return project


def rebuilt(book: Project, *args: str) -> bool:
    result = book.build("pdf", *args)
    assert result.exit_code == 0, result.output
    return "up to date" not in result.output


def test_unchanged_project_is_reused(book: Project) -> None:
    pdf = book.root / "build" / "fixture-book.pdf"
    stamp = pdf.stat().st_mtime_ns
    assert not rebuilt(book)
    assert pdf.stat().st_mtime_ns == stamp


@pytest.mark.parametrize(
    "change",
    [
        lambda b: b.write("chapters/02-second.md", "---\ntitle: Second\n---\n\nEdited.\n"),
        lambda b: b.write("report.toml", (b.root / "report.toml").read_text() + "\n"),
        lambda b: (b.root / "styles" / "print.css").write_text(
            (b.root / "styles" / "print.css").read_text() + "\n/* edit */\n"
        ),
        lambda b: (b.root / "styles" / "tokens.css").write_text(
            (b.root / "styles" / "tokens.css").read_text() + "\n/* edit */\n"
        ),
        lambda b: Image.new("RGB", (10, 10), (255, 0, 0)).save(
            b.root / "chapters" / "img" / "a.png"
        ),
        lambda b: (b.root / "styles" / "fonts" / "Inter-Bold.otf").write_bytes(
            (b.root / "styles" / "fonts" / "Inter-Bold.otf").read_bytes() + b"\0"
        ),
        lambda b: (b.root / "build" / "fixture-book.pdf").write_bytes(b"tampered"),
    ],
    ids=["chapter", "config", "stylesheet", "imported-css", "image", "font", "output-changed"],
)
def test_any_changed_input_rebuilds(book: Project, change) -> None:
    change(book)
    assert rebuilt(book)
    assert not rebuilt(book)  # and then it is cached again


def test_options_and_clock_are_part_of_the_key(book: Project, monkeypatch) -> None:
    assert rebuilt(book, "--paper", "letter", "-o", str(book.root / "letter.pdf"))
    assert not rebuilt(book, "--paper", "letter", "-o", str(book.root / "letter.pdf"))
    assert not rebuilt(book)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1800000000")
    assert rebuilt(book)


def test_no_cache_forces_a_build(book: Project) -> None:
    assert rebuilt(book, "--no-cache")


def test_tool_change_invalidates(book: Project, monkeypatch) -> None:
    monkeypatch.setattr(cache, "tool_fingerprint", lambda: "another version")
    assert rebuilt(book)


def test_epub_and_handout_are_cached_too(book: Project) -> None:
    for command in ("epub", "handout"):
        assert "up to date" not in book.build(command).output
        assert "up to date" in book.build(command).output


def test_all_reuses_every_output(book: Project) -> None:
    assert book.build("all").exit_code == 0
    outputs = [p for p in (book.root / "build").iterdir() if p.suffix in (".pdf", ".epub")]
    assert len(outputs) == 4
    stamps = {p: p.stat().st_mtime_ns for p in outputs}
    assert book.build("all").exit_code == 0
    assert {p: p.stat().st_mtime_ns for p in outputs} == stamps


def test_a_chapter_saved_during_the_build_is_not_called_up_to_date(
    book: Project, monkeypatch
) -> None:
    """The author saves a chapter while the PDF is being made: the next build makes it
    again (the record holds the sources as they were read, not as they were at the end)."""
    from build_report.commands import build

    book.write("chapters/02-second.md", "---\ntitle: Second\n---\n\nBefore.\n")
    original = build._to_cache

    def save_meanwhile(*args, **kwargs):
        book.write("chapters/02-second.md", "---\ntitle: Second\n---\n\nSaved during.\n")
        return original(*args, **kwargs)

    monkeypatch.setattr(build, "_to_cache", save_meanwhile)
    assert rebuilt(book)
    monkeypatch.setattr(build, "_to_cache", original)
    assert rebuilt(book)  # the PDF says "Before."; the chapter says "Saved during."
    assert not rebuilt(book)
