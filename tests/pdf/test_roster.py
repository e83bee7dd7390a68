"""`handout --roster`: one PDF, a named copy per student, questions in versions A and B,
answer keys in the teacher edition, the same bytes from the same inputs, clear errors."""

from __future__ import annotations

import re
from pathlib import Path

import pdfplumber
import pytest
from pypdf import PdfReader

from tests.conftest import Project, assert_clean_error, new_project

QUESTIONS = {
    1: [("Why did the river flood?", "Rain upstream."), ("Who built the dam?", "The town.")],
    2: [
        ("What did the mayor promise?", "A new bridge."),
        ("Where was the market moved?", "To the hill."),
        ("When did the ferry stop?", "In the spring."),
    ],
}
ROSTER = "name,group\nAda Lovelace,Red\nBorys Łukasz,Red\nChen Wei,Blue\n"


def _chapter(number: int, paragraphs: int = 6) -> str:
    items = "".join(f'  - question: "{q}"\n    answer: "{a}"\n' for q, a in QUESTIONS[number])
    body = "\n\n".join(
        f"Paragraph {n} of chapter {number} about the town." for n in range(paragraphs)
    )
    return f"---\ntitle: Chapter {number} Title\nquestions:\n{items}---\n\n{body}\n"


@pytest.fixture
def classbook(tmp_path: Path) -> Project:
    book = new_project(tmp_path / "book")
    book.write("chapters/01-river.md", _chapter(1))
    book.write("chapters/02-town.md", _chapter(2, 22))  # three pages: a copy ends mid-sheet
    book.write("class.csv", ROSTER)
    return book


def _pages(path: Path) -> list[str]:
    with pdfplumber.open(path) as pdf:
        return [page.extract_text() or "" for page in pdf.pages]


def _copies(pages: list[str]) -> list[tuple[str, list[str]]]:
    """(running line, pages) of each copy, by the line at the top of its pages."""
    copies: list[tuple[str, list[str]]] = []
    for text in pages:
        first = text.split("\n", 1)[0]
        if copies and copies[-1][0] == first:
            copies[-1][1].append(text)
        elif text.strip():
            copies.append((first, [text]))
    return copies


def _order(text: str) -> list[str]:
    """The questions in the order `text` asks them."""
    asked = [q for qs in QUESTIONS.values() for q, _ in qs]
    return [q for _, q in sorted((text.index(q), q) for q in asked if q in text)]


def test_a_copy_per_student_named_on_every_page(classbook: Project) -> None:
    out = classbook.root / "set.pdf"
    result = classbook.build("handout", "--roster", classbook.root / "class.csv", "-o", out)
    assert result.exit_code == 0, result.output
    pages = _pages(out)
    copies = _copies(pages)
    assert [line for line, _ in copies] == [
        "Ada Lovelace · Group Red · Version A",
        "Borys Łukasz · Group Red · Version B",
        "Chen Wei · Group Blue · Version A",
    ]
    for line, texts in copies:
        name = line.split(" · ")[0]
        assert all(text.startswith(line) for text in texts)  # the name on every page
        assert name in texts[0].split("\n", 1)[1]  # and in the header's Name field
        assert "Version " + line[-1] in texts[0]
    # each copy starts on a new sheet: an even number of pages before it
    reader = PdfReader(out)
    firsts = [i for i, text in enumerate(pages) if "CLASSROOM HANDOUT" in text]
    assert len(firsts) == 3 and all(i % 2 == 0 for i in firsts)
    assert all(pages[i - 1] == "" for i in firsts[1:])  # three pages, and a blank fourth
    assert [item.title for item in reader.outline] == [line for line, _ in copies]
    # versions A and B ask the same questions in different orders; the same version, the same
    a, b, a2 = ("\n".join(texts) for _, texts in copies)
    assert sorted(_order(a)) == sorted(_order(b)) and len(_order(a)) == 5
    assert _order(a) != _order(b)
    assert _order(a) == _order(a2)
    # a student's copy has no answers, and there is no key in the student edition
    assert "Rain upstream" not in "\n".join(pages)
    assert "Answer key" not in "\n".join(pages)


def test_teacher_edition_ends_with_an_answer_key_per_version(classbook: Project) -> None:
    out = classbook.root / "set.pdf"
    result = classbook.build(
        "handout", "--roster", classbook.root / "class.csv", "--edition", "teacher", "-o", out
    )
    assert result.exit_code == 0, result.output
    pages = _pages(out)
    copies = [t for t in pages if " · Version " in t.split("\n", 1)[0]]
    assert copies and not any("Rain upstream" in t for t in copies)  # no answers for students
    keys = [t for t in pages if t.startswith("ANSWER KEY")]
    assert [re.search(r"VERSION ([AB])", t).group(1) for t in keys] == ["A", "B"]
    student_a = "\n".join(t for t in copies if t.startswith("Ada Lovelace"))
    student_b = "\n".join(t for t in copies if t.startswith("Borys"))
    key_a, key_b = ("\n".join(pages[pages.index(k) :]) for k in keys)
    key_a = key_a[: key_a.index("ANSWER KEY", 1)]
    assert _order(key_a) == _order(student_a) and _order(key_b) == _order(student_b)
    for question, answer in (q for qs in QUESTIONS.values() for q in qs):
        for key in (key_a, key_b):  # each answer right after its question
            assert answer in key.split(question, 1)[1][:60]
    assert PdfReader(out).outline[-1].title == "Answer key"


def test_same_roster_same_bytes_and_a_new_roster_new_orders(
    classbook: Project, monkeypatch
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    first, second = classbook.root / "one.pdf", classbook.root / "two.pdf"
    roster = classbook.root / "class.csv"
    for out in (first, second):
        result = classbook.build("handout", "--roster", roster, "--no-cache", "-o", out)
        assert result.exit_code == 0, result.output
    assert first.read_bytes() == second.read_bytes()
    orders = set()
    for n in range(6):  # another roster, another seed: some order changes
        roster.write_text(ROSTER + f"Student {n},Blue\n", encoding="utf-8")
        out = classbook.root / f"r{n}.pdf"
        assert classbook.build("handout", "--roster", roster, "-o", out).exit_code == 0
        orders.add(tuple(_order("\n".join(_copies(_pages(out))[0][1]))))
    assert len(orders) > 1


def test_booklet_imposes_each_copy_on_its_own_sheets(classbook: Project) -> None:
    out = classbook.root / "booklet.pdf"
    roster = classbook.root / "class.csv"
    result = classbook.build("handout", "--roster", roster, "--booklet", "-o", out)
    assert result.exit_code == 0, result.output
    reader = PdfReader(out)
    assert all(float(p.mediabox.width) > float(p.mediabox.height) for p in reader.pages)
    sheets = [p.extract_text() for p in reader.pages]
    # every sheet side holds the pages of one student only
    for text in sheets:
        named = {n for n in ("Ada Lovelace", "Borys Łukasz", "Chen Wei") if n in text}
        assert len(named) <= 1
    assert len(reader.pages) % 2 == 0


@pytest.mark.parametrize(
    ("text", "line", "what"),
    [
        ("pupil,group\nAda,1\n", ":1", "no 'name' column"),
        ("name,group\nAda,1\n,2\n", ":3", "without a name"),
        ("\ufeffname\n\n", "", "lists no students"),
    ],
)
def test_roster_errors_name_the_file_and_line(
    classbook: Project, text: str, line: str, what: str
) -> None:
    classbook.write("bad.csv", text)
    result = classbook.build("handout", "--roster", classbook.root / "bad.csv")
    message = assert_clean_error(result, names=f"bad.csv{line}")
    assert what in message
    assert not list((classbook.root / "build").glob("*roster*.pdf"))


def test_roster_outside_the_project_is_refused(classbook: Project, tmp_path: Path) -> None:
    outside = tmp_path / "class.csv"
    outside.write_text(ROSTER, encoding="utf-8")
    result = classbook.build("handout", "--roster", outside)
    assert "outside the project" in assert_clean_error(result, names="class.csv")


def test_bom_roster_reads_its_name_column(classbook: Project) -> None:
    classbook.write("bom.csv", "\ufeffName\nZoë Ångström\n")
    out = classbook.root / "bom.pdf"
    result = classbook.build("handout", "--roster", classbook.root / "bom.csv", "-o", out)
    assert result.exit_code == 0, result.output
    assert _pages(out)[0].startswith("Zoë Ångström · Version A")


def test_n_up_keeps_each_copy_on_whole_sheets(classbook: Project) -> None:
    out = classbook.root / "2up.pdf"
    roster = classbook.root / "class.csv"
    result = classbook.build("handout", "--roster", roster, "--n-up", "2", "-o", out)
    assert result.exit_code == 0, result.output
    sides = [page.extract_text() for page in PdfReader(out).pages]
    names = ("Ada Lovelace", "Borys Łukasz", "Chen Wei")
    owners = [[n for n in names if n in text] for text in sides]
    # three pages a copy, padded to four: two sides (one duplex sheet) per student
    assert owners == [[n] for n in names for _ in range(2)]
