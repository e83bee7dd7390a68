"""The handout as a designer would ship it, measured on the pages: 2-up and 4-up type and
answer-line spacing on the printed sheet, equal pagination of the student and teacher
editions, no stranded headings or boxes, no hyphenated line breaks, and the CLI's report of
pages and sheets for imposed handouts."""

from __future__ import annotations

import re
from pathlib import Path

import pdfplumber
import pytest
from pypdf import PdfReader

from tests.conftest import REPO, run

MM = 72 / 25.4
SERIF = "Charis"  # the body text's face (tokens.css); boxes and labels are in sans
TEACHER_ONLY_LABELS = {"TEACHING NOTES · FOR TEACHERS", "NOTES"}  # same height, other words


def build(out: Path, *args: str) -> str:
    result = run("handout", "-C", REPO, "-o", out, *args)
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture(scope="module")
def editions(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("editions")
    out = {}
    for name in ("student", "teacher"):
        out[name] = folder / f"{name}.pdf"
        build(out[name], "--edition", name)
    return out


def black(char: dict) -> bool:
    """Not the teacher's coloured answer ink (a grey or black char has equal components)."""
    color = char.get("non_stroking_color")
    return not (isinstance(color, (tuple, list)) and len(color) == 3 and len(set(color)) > 1)


def body_lines(page) -> list[dict]:
    """The page's text lines above the footer, each with its text, top and chars."""
    lines = page.extract_text_lines(return_chars=True)
    return [line for line in lines if line["top"] < page.height - 14 * MM]


def first_lines(path: Path) -> list[str]:
    """Each page's first line of black text, the edition label and the notes label aside."""
    out = []
    with pdfplumber.open(path) as pdf:
        for page in pdf.pages:
            kept = page.filter(lambda obj: obj.get("object_type") != "char" or black(obj))
            for line in body_lines(kept):
                text = line["text"].strip()
                if "EDITION" in text or text in TEACHER_ONLY_LABELS or not text:
                    continue
                out.append(text)
                break
    return out


def test_student_and_teacher_editions_paginate_alike(editions: dict[str, Path]) -> None:
    """ "Turn to page 4" works in class: same page count, every page starting at the same line
    (the teacher's answers and notes are written in the student's ruled space)."""
    student, teacher = (PdfReader(editions[n]) for n in ("student", "teacher"))
    assert len(student.pages) == len(teacher.pages)
    assert first_lines(editions["student"]) == first_lines(editions["teacher"])
    # ... and the teacher's edition does carry what the student's has not
    text = "".join(p.extract_text() for p in teacher.pages)
    assert "SUGGESTED ANSWER" in text.upper() and "TEACHING NOTES" in text.upper()
    assert "SUGGESTED ANSWER" not in "".join(p.extract_text() for p in student.pages).upper()
    with pdfplumber.open(editions["teacher"]) as pdf:
        assert not [line for page in pdf.pages for line in answers_off_their_rules(page)]


def answer_rule_gaps(page) -> list[float]:
    """Distances between the ruled answer lines of a page (each line is a div's bottom
    border: its box, one rule-gap high, is drawn as a rectangle of that height)."""
    rules: dict[tuple[int, int], list[float]] = {}
    for rect in page.rects:
        if 5 * MM < rect["height"] < 10 * MM and rect["width"] > 40 * MM:
            rules.setdefault((round(rect["x0"]), round(rect["x1"])), []).append(rect["bottom"])
    gaps = []
    for bottoms in rules.values():
        ys: list[float] = []
        for y in sorted(bottoms):  # a border is drawn twice (its inner and outer edge)
            if not ys or y - ys[-1] > 1:
                ys.append(y)
        gaps += [b - a for a, b in zip(ys, ys[1:], strict=False) if b - a < 12 * MM]
    return gaps


def answers_off_their_rules(page) -> list[str]:
    """The teacher's answer lines (its coloured ink) that do not sit on a ruled line: an
    answer that ran past its lines, over what follows."""
    rules = [r for r in page.rects if 5 * MM < r["height"] < 10 * MM and r["width"] > 40 * MM]
    ink = page.filter(lambda obj: obj.get("object_type") != "char" or not black(obj))
    return [
        line["text"]
        for line in ink.extract_text_lines()
        if not any(
            r["x0"] - 2 <= line["x0"] <= r["x1"] and -0.5 <= r["bottom"] - line["bottom"] <= 4 * MM
            for r in rules
        )
    ]


@pytest.mark.parametrize(("n", "paper"), [(2, "a4"), (2, "letter"), (4, "a4")])
def test_n_up_sheets_keep_type_and_answer_lines_writable(
    tmp_path: Path, n: int, paper: str
) -> None:
    """2-up lays the handout out at A5 (half-letter), 4-up at A6 (quarter-letter), each placed
    at full size: on the sheet, body text is 9 pt or more and answer lines 7 mm apart; the
    teacher's answers, written on the lines, fit them."""
    out = tmp_path / "up.pdf"
    build(out, "--n-up", str(n), "--paper", paper, "--edition", "teacher")
    sheet = {"a4": (841.89, 595.28), "letter": (792.0, 612.0)}[paper]
    body_sizes, gaps = [], []
    with pdfplumber.open(out) as pdf:
        for page in pdf.pages:
            size = (round(float(page.width), 1), round(float(page.height), 1))
            assert size == tuple(round(v, 1) for v in (sheet if n == 2 else sheet[::-1]))
            body_sizes += [c["size"] for c in page.chars if SERIF in c["fontname"]]
            gaps += answer_rule_gaps(page)
            cols, rows = (2, 1) if n == 2 else (2, 2)  # each page of the sheet on its own
            w, h = float(page.width) / cols, float(page.height) / rows
            for col in range(cols):
                for row in range(rows):
                    cell = page.crop((col * w, row * h, (col + 1) * w, (row + 1) * h))
                    assert not answers_off_their_rules(cell)
    assert body_sizes and min(body_sizes) >= 9 - 0.01
    assert gaps and min(gaps) >= 7 * MM - 0.1
    expected_body = {2: 10, 4: 9}[n]  # the half and quarter sizes' type (handout.css)
    assert max(body_sizes) == pytest.approx(expected_body, abs=0.05)


@pytest.mark.parametrize("name", ["student", "teacher"])
def test_no_hyphenated_breaks_and_no_word_split_over_a_page(
    editions: dict[str, Path], name: str
) -> None:
    """Runs of hyphenated lines (at most two), two-letter fragments and split words at a page
    turn: the handout is ragged and not hyphenated (WeasyPrint has no hyphenate-limit-lines
    and no way to keep a hyphen off a page's last line), so none can happen."""
    run_length, worst = 0, 0
    with pdfplumber.open(editions[name]) as pdf:
        for number, page in enumerate(pdf.pages, 1):
            lines = body_lines(page)
            for line in lines:
                hyphenated = line["text"].rstrip().endswith(("\u2010", "\u00ad"))
                run_length = run_length + 1 if hyphenated else 0
                worst = max(worst, run_length)
            if lines:
                last = lines[-1]["text"].rstrip()
                assert not last.endswith(("-", "\u2010", "\u00ad")), (number, last)
    assert worst == 0


LABEL = re.compile(r"^[A-Z0-9 ·]{4,}( EDITORIAL)?$")


@pytest.mark.parametrize("name", ["student", "teacher"])
def test_no_heading_or_box_opens_at_the_foot_of_a_page(
    editions: dict[str, Path], name: str
) -> None:
    """A chapter title, a box label or a question never ends a page; a chapter's key points go
    over with the first lines of its text."""
    with pdfplumber.open(editions[name]) as pdf:
        for number, page in enumerate(pdf.pages, 1):
            lines = body_lines(page)
            if not lines:
                continue
            last = lines[-1]
            text = last["text"].strip()
            assert not LABEL.match(text), (number, text)
            assert max(c["size"] for c in last["chars"]) < 11.5, (number, text)  # titles
            if re.match(r"\d+\. ", text):  # a question: its ruled lines below it, on this page
                assert answer_rule_gaps(page.crop((0, last["top"], page.width, page.height)))
            for line in lines:
                if line["text"].startswith("KEY POINTS"):
                    serif_below = [
                        c for c in page.chars if SERIF in c["fontname"] and c["top"] > line["top"]
                    ]
                    assert serif_below, f"page {number}: key points without the text after"


@pytest.mark.parametrize(
    ("flag", "per_sheet", "name"), [("--booklet", 4, "booklet"), ("--n-up=2", 2, "2-up")]
)
def test_cli_reports_pages_and_sheets(tmp_path: Path, flag: str, per_sheet: int, name: str):
    """`(13 pages on 4 sheets, booklet)`: the pages laid out (the footers' "of N") and the
    sheets of paper they print on (a booklet's double-sided, four pages each)."""
    out = tmp_path / "imposed.pdf"
    output = build(out, flag)
    reader = PdfReader(out)
    laid_out = int(re.search(r"page \d+ of (\d+)", reader.pages[0].extract_text()).group(1))
    sides = len(reader.pages)
    sheets = sides // 2 if name == "booklet" else sides
    assert sheets == -(-laid_out // per_sheet)
    assert f"({laid_out} pages on {sheets} sheets, {name})" in output


def ruled_lines(path: Path) -> int:
    with pdfplumber.open(path) as pdf:
        return sum(len(answer_rule_gaps(page)) + 1 for page in pdf.pages if answer_rule_gaps(page))


def test_a_long_answer_gets_the_lines_it_needs_in_both_editions(project) -> None:
    """The teacher's answer is written on the student's ruled lines: an answer longer than
    `answer_lines` hold gets more lines, as many in the student's edition."""
    long = "A careful answer, " * 12  # about 220 characters: three lines or more
    project.write(
        "chapters/01-first.md",
        f"---\ntitle: First\nquestions:\n  - question: Why?\n    answer: {long.strip()}\n"
        "  - question: How?\n    answer: Briefly.\n---\n\nText.\n",
    )
    toml = project.root / "report.toml"
    toml.write_text(toml.read_text() + "\n[handout]\nanswer_lines = 1\n")
    lines = {}
    for name in ("student", "teacher"):
        out = project.root / f"{name}.pdf"
        result = project.build("handout", "--edition", name, "-o", out)
        assert result.exit_code == 0, result.output
        lines[name] = ruled_lines(out)
    assert lines["student"] == lines["teacher"] >= 3  # 1 for "How?", 2 or more for "Why?"
