"""The page checks themselves find what they look for (so the corpus tests can fail)."""

from __future__ import annotations

from tests.conftest import Project
from tests.pdf_checks import notdef_characters, pages_with_ink_in_the_side_margins


def test_the_checks_find_a_missing_glyph_and_ink_off_the_page(project: Project) -> None:
    project.write(
        "chapters/01-first.md",
        "---\ntitle: A\n---\n\nHieroglyphs 𓀀𓀁 here.\n\n" + "x" * 300 + "\n",
    )
    out = project.root / "a.pdf"
    assert project.build("pdf", "-o", out).exit_code == 0
    assert {"𓀀", "𓀁"} <= notdef_characters(out)
    assert pages_with_ink_in_the_side_margins(out, strip_mm=15) != []


def test_a_clean_document_passes_them(project: Project) -> None:
    out = project.root / "b.pdf"
    assert project.build("pdf", "-o", out).exit_code == 0
    assert notdef_characters(out) == set()
    assert pages_with_ink_in_the_side_margins(out, strip_mm=15) == []
