"""The engine's internals are used in one module, for the engine versions it was tested with."""

from __future__ import annotations

import re
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
