"""Real documents nobody here wrote (../shared/corpus), built as they come, in every format.

Each source becomes a project with the corpus's own make_project.py, then runs through check,
pdf, html, epub --check and handout. Every run must succeed; the EPUB must pass EPUBCheck with
no errors or warnings; no page may have ink in its side margins (a table or line running off);
and no character may be drawn with a font's .notdef glyph, read from the PDF's own fonts.
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

# Scripts whose fonts come with the scripts issue (13): until then, a character of these
# blocks may still be drawn as .notdef. Everything else (Latin, Greek, Cyrillic, punctuation,
# symbols) must have a glyph.
AWAITING_FONTS = [
    (0x0590, 0x06FF),  # Hebrew, Arabic
    (0x0900, 0x0DFF),  # Devanagari and the other Indic scripts
    (0x0E00, 0x0E7F),  # Thai
    (0x1100, 0x11FF),  # Hangul Jamo
    (0x2E80, 0x9FFF),  # CJK, kana
    (0xAC00, 0xD7AF),  # Hangul syllables
    (0xF900, 0xFAFF),  # CJK compatibility
    (0xFE30, 0xFE4F),  # CJK compatibility forms
    (0xFF00, 0xFFEF),  # full-width forms
]


def awaiting(text: str) -> bool:
    return all(any(a <= ord(c) <= b for a, b in AWAITING_FONTS) for c in text)


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
    for command in (["check"], ["pdf"], ["html"], ["epub", "--check"], ["handout"]):
        result = run(*command, "-C", root)
        assert result.exit_code == 0, (name, command, result.output)
        assert "Traceback" not in result.output
        outputs[command[0]] = result.output
    return name, root, outputs


def test_epubcheck_is_clean(built) -> None:
    name, _, outputs = built
    assert "EPUBCheck: no errors or warnings" in outputs["epub"], (name, outputs["epub"])


def test_no_ink_in_the_side_margins(built) -> None:
    name, root, _ = built
    for pdf in sorted((root / "build").glob("*.pdf")):
        assert pages_with_ink_in_the_side_margins(pdf, strip_mm=15) == [], (name, pdf.name)


def test_every_character_has_a_glyph(built) -> None:
    name, root, _ = built
    for pdf in sorted((root / "build").glob("*.pdf")):
        missing = {c for c in notdef_characters(pdf) if not awaiting(c)}
        assert not missing, (name, pdf.name, sorted(missing))


def test_warnings_come_grouped(built) -> None:
    """Real documents gave 2,000 warning lines; grouped, a kind is one line."""
    name, _, outputs = built
    for command, output in outputs.items():
        lines = [line for line in output.splitlines() if ": warning: " in line]
        assert len(lines) <= 30, (name, command, len(lines))


def test_hyphens_never_split_a_word_over_a_page_nor_run_three_deep(built) -> None:
    """At most two hyphenated lines in a row, and no page ending in a hyphen, in the book and
    the handout (pdf/internals.py `typesetting`)."""
    from tests.pdf.test_design import hyphen_runs

    name, root, _ = built
    for pdf in sorted((root / "build").glob("*.pdf")):
        for page, runs in hyphen_runs(pdf):
            assert "hhh" not in runs, (name, pdf.name, page, runs)
            assert not runs.endswith("h") or page == "last", (name, pdf.name, page, runs)
