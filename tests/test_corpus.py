"""Real documents nobody here wrote (../shared/corpus), built as they come, in every format.

Each source becomes a project with the corpus's own make_project.py, then runs through check
and `all --check` (the PDF, the HTML, the EPUB checked, both handouts: one run, as authors make
them, whose PDFs are laid out in processes forked from one). Every run must succeed; the EPUB
must pass EPUBCheck with no errors or warnings; no page may have ink in its side margins (a
table or line running off); and no character, in any script, may be drawn with a font's
.notdef glyph, read from the PDF's own fonts.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import corpus_folder, run
from tests.pdf_checks import notdef_characters, pages_with_ink_in_the_side_margins

CORPUS = corpus_folder()
SOURCES = (
    sorted(p.name for p in CORPUS.iterdir() if (p / "manifest.json").is_file())
    if (CORPUS.is_dir())
    else []
)

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not SOURCES, reason=f"the shared corpus is not at {CORPUS}"),
]


@pytest.fixture(scope="module", params=SOURCES)
def built(request, tmp_path_factory) -> tuple[str, Path, dict[str, str]]:
    """One corpus source as a project, every command run once; their outputs by command."""
    name = request.param
    root = tmp_path_factory.mktemp("corpus") / name
    made = subprocess.run(
        [sys.executable, str(CORPUS / "make_project.py"), str(CORPUS / name), str(root)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert made.returncode == 0, made.stderr
    outputs = {}
    for command in (["check"], ["all", "--check"]):
        result = run(*command, "-C", root)
        assert result.exit_code == 0, (name, command, result.output)
        assert "Traceback" not in result.output
        outputs[command[0]] = result.output
    return name, root, outputs


def test_epubcheck_is_clean(built) -> None:
    name, _, outputs = built
    assert "EPUBCheck: no errors or warnings" in outputs["all"], (name, outputs["all"])


def test_no_ink_in_the_side_margins(built) -> None:
    name, root, _ = built
    for pdf in sorted((root / "build").glob("*.pdf")):
        assert pages_with_ink_in_the_side_margins(pdf, strip_mm=15) == [], (name, pdf.name)


def test_every_character_has_a_glyph(built) -> None:
    name, root, _ = built
    pdfs = sorted((root / "build").glob("*.pdf"))
    assert len(pdfs) == 3, (name, pdfs)  # the book and the two handouts
    for pdf in pdfs:
        missing = set(notdef_characters(pdf))
        assert not missing, (name, pdf.name, sorted(missing))


def test_warnings_come_grouped(built) -> None:
    """Real documents gave 2,000 warning lines; grouped, a kind is one line."""
    name, _, outputs = built
    for command, output in outputs.items():
        lines = [line for line in output.splitlines() if ": warning: " in line]
        assert len(lines) <= 30, (name, command, len(lines))
        assert len(lines) == len(set(lines)), (name, command, "a warning said twice")


def test_hyphens_never_split_a_word_over_a_page_nor_run_three_deep(built) -> None:
    """At most two hyphenated lines in a row, and no page ending in a hyphen, in the book and
    the handout (pdf/internals.py `typesetting`)."""
    from tests.pdf.test_design import hyphen_runs

    name, root, _ = built
    for pdf in sorted((root / "build").glob("*.pdf")):
        for page, runs in hyphen_runs(pdf):
            assert "hhh" not in runs, (name, pdf.name, page, runs)
            assert not runs.endswith("h") or page == "last", (name, pdf.name, page, runs)
