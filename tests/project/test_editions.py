"""Editions: teacher material is in teacher builds and provably absent from student builds."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from build_report.errors import BuildError
from build_report.project.editions import parse_selection
from pypdf import PdfReader

from tests.conftest import Project, assert_clean_error, inflated

SECRETS = [
    "Suggested answer alpha",
    "Teaching note bravo",
    "Fenced teacher block charlie",
    "Teacher footnote delta",
    "Nested block echo",
    "Secret footnote foxtrot",
]
CHAPTER = """\
---
title: Lesson One
questions:
  - question: What is asked here?
    answer: Suggested answer alpha.
  - Plain question?
teacher_notes: Teaching note bravo.
---

Student text that everyone sees.

::::: teacher
Fenced teacher block charlie, with a note.[^t]

::: teacher
Nested block echo.
:::

[^s]: Secret footnote foxtrot.

:::::

[^t]: Teacher footnote delta.

More student text, calling a teacher's note[^s] and a note of its own.[^v]

[^v]: Visible note golf.
"""


@pytest.fixture
def lesson(project: Project) -> Project:
    project.write("chapters/01-first.md", CHAPTER)
    return project


def pdf_text(path: Path) -> str:
    return " ".join(page.extract_text() for page in PdfReader(path).pages).replace("\n", " ")


def epub_text(path: Path) -> str:
    with zipfile.ZipFile(path) as archive:
        return " ".join(archive.read(n).decode("utf-8", "replace") for n in archive.namelist())


def html_text(folder: Path) -> str:
    return " ".join(p.read_text("utf-8", "replace") for p in folder.rglob("*.xhtml"))


def build_all_formats(book: Project, edition: str) -> dict[str, str]:
    out = book.root / "out" / edition
    texts = {}
    for command, target in (("pdf", "a.pdf"), ("handout", "h.pdf"), ("epub", "e.epub")):
        result = book.build(command, "--edition", edition, "-o", out / target)
        assert result.exit_code == 0, result.output
    result = book.build("html", "--edition", edition, "-o", out / "html")
    assert result.exit_code == 0, result.output
    texts["pdf"] = pdf_text(out / "a.pdf")
    texts["handout"] = pdf_text(out / "h.pdf")
    texts["epub"] = epub_text(out / "e.epub")
    texts["html"] = html_text(out / "html")
    return texts


def test_student_builds_contain_no_teacher_material(lesson: Project) -> None:
    texts = build_all_formats(lesson, "student")
    for kind, text in texts.items():
        assert "Student text that everyone sees" in text, kind
        for secret in SECRETS:
            assert secret not in text, (kind, secret)
        assert "For teachers" not in text and "Teaching notes" not in text, kind
    assert "Plain question?" in texts["handout"]
    assert "Visible note golf" in texts["epub"] and "Visible note golf" in texts["pdf"]


def test_student_notes_are_numbered_without_gaps() -> None:
    """A note dropped with teacher material leaves no gap: the student's first note is 1."""
    import datetime

    from build_report.markup.parser import parse, without_teacher_blocks
    from build_report.markup.renderer import EPUB, chapter_html
    from build_report.markup.resolver import Resolver
    from build_report.project.config import BuildSettings, Config, ReportMeta
    from build_report.project.model import Book, Chapter

    tokens, env = parse(CHAPTER.split("---", 2)[2], "first")
    first = Chapter(1, "first", "Lesson", "chapters/01-first.md", tokens=tuple(tokens), env=env)
    config = Config(ReportMeta("T", "A"), BuildSettings(), Path("/nonexistent/report.toml"))
    book = Book(config, (first,), datetime.datetime(2024, 1, 1, tzinfo=datetime.UTC))
    links = Resolver(book, {"first": "first.xhtml"}).chapter(first)
    student = without_teacher_blocks(tokens, env)
    body, notes = chapter_html(student, env, target=EPUB, slug="first", links=links)
    assert list(notes) == [0] and "Visible note golf" in notes[0]
    assert 'href="#fn-first-1">1</a>' in body and "fn-first-2" not in body


def test_student_pdf_streams_hold_no_teacher_text(lesson: Project) -> None:
    """Beyond text extraction: no stream of the student PDF, inflated, holds the secrets."""
    out = lesson.root / "s.pdf"
    assert lesson.build("handout", "-o", out).exit_code == 0
    data = inflated(out)
    assert "Lesson One".encode("utf-16-be") in data or b"Lesson One" in data  # outline: decoded
    for secret in SECRETS:
        assert secret.encode() not in data and secret.encode("utf-16-be") not in data


def test_teacher_builds_contain_it(lesson: Project) -> None:
    texts = build_all_formats(lesson, "teacher")
    for secret in ("Fenced teacher block charlie", "Nested block echo"):
        for kind in ("pdf", "handout", "epub", "html"):
            assert secret in texts[kind], (kind, secret)
    assert "Suggested answer alpha" in texts["handout"]
    assert "Teaching note bravo" in texts["handout"]
    assert "Teacher footnote delta" in texts["epub"]
    assert "Secret footnote foxtrot" in texts["epub"] and "Secret footnote foxtrot" in texts["pdf"]
    assert "TEACHER EDITION" in texts["handout"].upper()


def test_custom_edition_from_config(lesson: Project) -> None:
    toml = (lesson.root / "report.toml").read_text()
    lesson.write(
        "report.toml",
        toml + '\n[editions.assessor]\nlabel = "Assessor copy"\nteacher_material = true\n',
    )
    out = lesson.root / "assessor.pdf"
    result = lesson.build("handout", "--edition", "assessor", "-o", out)
    assert result.exit_code == 0, result.output
    text = pdf_text(out)
    assert "ASSESSOR COPY" in text.upper() and "Suggested answer alpha" in text


def test_unknown_edition(lesson: Project) -> None:
    message = assert_clean_error(lesson.build("pdf", "--edition", "techer"), names="report.toml")
    assert "did you mean 'teacher'" in message


def test_edition_key_typo(lesson: Project) -> None:
    toml = (lesson.root / "report.toml").read_text()
    lesson.write("report.toml", toml + "\n[editions.student]\nteacher_materials = true\n")
    message = assert_clean_error(lesson.build("pdf"), names="report.toml:")
    assert "did you mean 'teacher_material'" in message


def test_parse_selection() -> None:
    assert parse_selection("2", 6) == [2]
    assert parse_selection("2-4", 6) == [2, 3, 4]
    assert parse_selection("1,3-4", 6) == [1, 3, 4]
    for bad in ("0", "5-2", "7", "x", "1-"):
        with pytest.raises(BuildError):
            parse_selection(bad, 6)
