"""Classroom handouts: header fields, aids, questions with ruled space, selection, type size."""

from __future__ import annotations

from pathlib import Path

import pytest
from pypdf import PdfReader

from tests.conftest import REPO, Project, normalize, run


@pytest.fixture(scope="module")
def handout(tmp_path_factory) -> PdfReader:
    out = tmp_path_factory.mktemp("handout") / "handout.pdf"
    result = run("handout", "-C", REPO, "-o", out)
    assert result.exit_code == 0, result.output
    return PdfReader(out)


def text_of(reader: PdfReader) -> str:
    return "\n".join(page.extract_text() for page in reader.pages)


def test_header_fields_and_edition(handout: PdfReader) -> None:
    first = handout.pages[0].extract_text()
    for label in ("Course", "Teacher", "Date", "Name", "Student edition", "Classroom handout"):
        assert label.upper() in first.upper(), label


def test_contains_aids_text_and_questions(handout: PdfReader) -> None:
    text = normalize(text_of(handout))
    for part in (
        "Timeline of events named in the text",
        "Key terms",
        "Transactional diplomacy",
        "Key points",
        "Discussion questions",
        "Which four aspects of the relationship does the article promise to explore",
        "The future of international relations may well depend on it",
    ):
        assert normalize(part) in text, part
    assert "suggestedanswer" not in text


def test_outline_has_the_chapters(handout: PdfReader) -> None:
    titles = [item.title for item in handout.outline if not isinstance(item, list)]
    assert titles[0] == "Chapter 1 Introduction" and len(titles) == 6


def test_body_text_is_at_least_11pt(handout: PdfReader) -> None:
    sizes: list[float] = []

    def visit(text, cm, tm, font, size) -> None:
        if len(text.strip()) > 20:  # running text, not labels or page furniture
            scale = (tm[0] ** 2 + tm[1] ** 2) ** 0.5 * (cm[0] ** 2 + cm[1] ** 2) ** 0.5
            sizes.append(size * scale)

    for page in handout.pages:
        page.extract_text(visitor_text=visit)
    body = [s for s in sizes if s > 9]  # footers (8 pt) are furniture
    assert body and min(body) >= 10.99


def test_answer_lines_are_drawn(tmp_path: Path) -> None:
    """Ruled space: each question has `answer_lines` rules; 0 lines draws none."""
    import shutil

    root = tmp_path / "b"
    shutil.copytree(REPO, root, ignore=shutil.ignore_patterns("build", ".git", "tests", "docs"))
    outputs = {}
    for lines in (0, 6):
        toml = (root / "report.toml").read_text()
        (root / "report.toml").write_text(toml + f"\n[handout]\nanswer_lines = {lines}\n")
        out = tmp_path / f"{lines}.pdf"
        assert run("handout", "-C", root, "-o", out, "--chapter", "6").exit_code == 0
        (root / "report.toml").write_text(toml)
        streams = b"".join(page.get_contents().get_data() for page in PdfReader(out).pages)
        outputs[lines] = streams.count(b" re") + streams.count(b" l\n")
    # Chapter 6 has one question: six more rules (each drawn as a line or a thin rectangle).
    assert outputs[6] - outputs[0] >= 6


@pytest.mark.parametrize(
    ("spec", "present", "absent"),
    [
        ("2", ["Genesis of a Noteworthy Dynamic"], ["Key Interactions", "Chapter 1 Introduction"]),
        ("2-4", ["Genesis", "Key Interactions", "Impacts on International"], ["Potential Future"]),
    ],
)
def test_chapter_selection(tmp_path: Path, spec: str, present: list, absent: list) -> None:
    out = tmp_path / "sel.pdf"
    flag = "--chapter" if "-" not in spec else "--chapters"
    result = run("handout", "-C", REPO, "-o", out, flag, spec)
    assert result.exit_code == 0, result.output
    reader = PdfReader(out)
    text = normalize(text_of(reader))
    titles = " ".join(i.title for i in reader.outline if not isinstance(i, list))
    for part in present:
        assert normalize(part) in text
    for part in absent:
        assert part not in titles
    label = "Chapter 2" if spec == "2" else "Chapters 2–4"
    assert label in reader.pages[0].extract_text()


def test_bad_selection_is_a_usage_error(project: Project) -> None:
    result = project.build("handout", "--chapters", "3-9")
    assert result.exit_code == 1 and "outside chapters 1-2" in result.output
    assert "Traceback" not in result.output


def test_missing_handout_stylesheet(project: Project) -> None:
    (project.root / "styles" / "handout.css").unlink()
    result = project.build("handout")
    assert result.exit_code == 1 and "styles/handout.css" in result.output
