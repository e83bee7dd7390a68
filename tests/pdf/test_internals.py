"""The engine's internals are used in one module, for the engine versions it was tested with."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

from build_report.pdf import internals
from pypdf import PdfReader

from tests.conftest import REPO, Project, run

PACKAGE = REPO / "builder" / "build_report"
# (FontConfiguration is public: WeasyPrint's documentation imports it from weasyprint.text.fonts;
# pikepdf.Page is pikepdf's, not the engine's.)
INTERNAL = re.compile(
    r"weasyprint\.(layout|document|formatting_structure|draw)\b|make_margin_boxes"
    r"|weasyprint\.text\b(?!\.fonts import FontConfiguration$)"
    r"|layout_box_backgrounds|\bDocument\(|(?<!pikepdf\.)\bPage\(",
    re.MULTILINE,
)


def test_installed_weasyprint_is_one_the_internals_were_tested_with() -> None:
    assert internals.supported(), (
        f"WeasyPrint {internals.engine_version()} is installed, but "
        "builder/build_report/pdf/internals.py was tested with "
        f"{', '.join(v + 'x' for v in internals.TESTED_VERSIONS)}: check what its docstring "
        "says it relies on, run tests/pdf/test_parallel.py, then add the version to "
        "TESTED_VERSIONS (and widen the pin in pyproject.toml)"
    )


def test_no_other_module_touches_the_internals() -> None:
    users = sorted(
        str(path.relative_to(PACKAGE))
        for path in PACKAGE.rglob("*.py")
        if INTERNAL.search(path.read_text(encoding="utf-8"))
    )
    assert users == ["pdf/internals.py"], users


def test_an_untested_engine_lays_out_in_one_process(
    project: Project, tmp_path: Path, monkeypatch
) -> None:
    out = tmp_path / "one.pdf"
    args = ("-v", "pdf", "-C", project.root, "--no-cache", "--jobs", "2", "-o", out)
    assert "parts in 1 processes" in run(*args).output  # a tested engine: the parallel path
    monkeypatch.setattr(internals, "engine_version", lambda: "99.0")
    result = run(*args)
    assert result.exit_code == 0, result.output
    assert "parts in" not in result.output and "laying out" in result.output
    assert len(PdfReader(out).pages) >= 3


def test_pango_and_engine_versions_are_read_without_the_engine() -> None:
    assert re.fullmatch(r"\d+\.\d+\.\d+", internals.pango_version())
    assert internals.engine_version().startswith(internals.TESTED_VERSIONS)


def test_a_stylesheet_is_parsed_once_a_process_and_again_once_changed(
    project: Project, monkeypatch
) -> None:
    import io

    import weasyprint
    from build_report.pdf.adapter import Layout, PdfOptions, lay_out
    from build_report.processes import scratch_folder
    from build_report.project.config import load_config

    parsed: list[str] = []
    original = weasyprint.preprocess_stylesheet

    def counting(media_type, base_url, *args, **kwargs):
        parsed.append(str(base_url))
        return original(media_type, base_url, *args, **kwargs)

    monkeypatch.setattr(weasyprint, "preprocess_stylesheet", counting)
    css = project.write("styles/part.css", "@page { size: A5 }\np { colour: red; }\n")
    html = '<html><head><link rel="stylesheet" href="styles/part.css"></head><body><p>Hi</p>'
    layout = Layout(load_config(project.root), datetime.now(UTC), html, {})

    def build() -> tuple[float, list[str]]:
        done = lay_out(layout, PdfOptions())
        width = float(PdfReader(io.BytesIO(done.data)).pages[0].mediabox.width)
        return width, [f"{d.path}:{d.line} {d.message}" for d in done.diagnostics]

    with scratch_folder():
        first, warned = build()
        assert round(first) == 420  # A5, in points
        assert any(w.startswith("styles/part.css:2 ") and "colour" in w for w in warned), warned
        assert build() == (first, warned)  # the same result, the warning said again
        assert sum("part.css" in url for url in parsed) == 1, parsed
        css.write_text("@page { size: A4 }\n", encoding="utf-8")
        width, warned = build()
        assert round(width) == 595 and warned == []
        assert sum("part.css" in url for url in parsed) == 2, parsed


def test_lines_drawn_from_their_glyph_runs_are_the_engines_byte_for_byte(
    project: Project,
) -> None:
    """internals.glyph_runs draws plain lines itself and leaves the rest to the engine: the
    PDF is the same either way, in every script, with kerning, empty glyphs (a zero-width
    space), marks placed by the font, emoji and a character no font has."""
    import weasyprint
    import weasyprint.draw.text as text

    project.write(
        "chapters/01-first.md",
        "# Kerning, AVAWAY, Type\n\n"
        + "Justified prose: offices affluent “quoted” — dashes, 1,234.56 and *italic* "
        "**bold** `code()` words, with a zero\u200bwidth space and soft\u00adhyphens. "
        * 12
        + "\n\nعَرَبِيّ مُشَكَّل: السَّلامُ عَلَيْكُم. हिन्दी पाठ। 中文文本和日本語のテキスト。"
        " 한국어 ✅ 🚀\n\nAnd a hieroglyph, \U00013000, that no font has.\n",
    )
    html = project.root / "print.html"
    result = project.build("pdf", "--jobs", "1", "--emit-html", html)
    assert result.exit_code == 0, result.output
    document = weasyprint.HTML(filename=str(html), base_url=str(project.root) + "/").render()
    engines = document.write_pdf()
    left = []

    def engine_line(*args):
        left.append(args[1].text)
        return original(*args)

    original = text.draw_first_line
    fast = internals._fast_lines(engine_line)
    drawn = []

    def counted(*args):
        drawn.append(args[1].text)
        return fast(*args)

    text.draw_first_line = counted
    try:
        ours = document.write_pdf()
    finally:
        text.draw_first_line = original
    assert len(left) < len(drawn) / 2, "most lines are drawn from their runs"
    assert any("\U00013000" in line for line in left), "a glyph no font has: the engine's"
    assert any("عَ" in line for line in left), "marks placed by the font: the engine's"
    assert ours == engines
