"""`build-report check`: compiler-style findings, sorted, exit 1 on errors, nothing written."""

from __future__ import annotations

import subprocess
import sys

from build_report.commands.css_names import KNOWN_PROPERTIES

from tests.conftest import REPO, Project, run

CHAPTER = """\
---
title: Checked
---

## Section

#### Skipped a level

See [missing chapter](09-none.md), [bad anchor](02-second.md#nope),
[good anchor](02-second.md#part) and [here](#section).

![](img/missing.png)

Undefined note[^nope] and a used one[^ok].

<span id="twice">a</span> <span id="twice">b</span>

[^ok]: Fine.

[^unused]: Never called.
"""


def test_default_briefing_is_clean() -> None:
    result = run("check", "-C", REPO)
    assert result.exit_code == 0, result.output
    assert "0 error(s), 0 warning(s)" in result.output


def test_findings(project: Project) -> None:
    project.write("chapters/01-first.md", CHAPTER)
    project.write("chapters/02-second.md", "---\ntitle: Second\n---\n\n## Part\n")
    css = project.root / "styles" / "print.css"
    css.write_text(css.read_text() + "\n.x { colr: red; }\n")
    css_line = len(css.read_text().splitlines())
    result = run("check", "-C", project.root)
    assert result.exit_code == 1
    lines = [
        line for line in result.output.splitlines() if ": error: " in line or ": warning: " in line
    ]
    expected = [
        "chapters/01-first.md:7: warning: heading level skips from 2 to 4",
        "chapters/01-first.md:9: warning: link to 09-none.md: no chapter 09-none.md in the "
        "book (its text is kept, without the link)",
        "chapters/01-first.md:9: warning: link to 02-second.md#nope: no anchor #nope in "
        "chapters/02-second.md",
        "chapters/01-first.md:12: warning: image img/missing.png has no alt text",
        "chapters/01-first.md:12: warning: image img/missing.png not found: "
        "a placeholder shows its description",
        "chapters/01-first.md:14: error: footnote [^nope] is used but not defined",
        "chapters/01-first.md: warning: footnote [^unused] is defined but never used",
        "chapters/01-first.md:16: warning: duplicate id 'twice'",
        f"styles/print.css:{css_line}:6: warning: unknown property 'colr': WeasyPrint ignores it",
    ]
    for line in expected:
        assert line in lines, (line, lines)
    assert "good anchor" not in result.output and "#section" not in result.output
    keys = [
        (line.split(":")[0], int(line.split(":")[1]) if line.split(":")[1].isdigit() else 0)
        for line in lines
    ]
    assert keys == sorted(keys)  # compiler order: by file, then line
    assert not (project.root / "build").exists()


def test_strict_turns_warnings_into_failure(project: Project) -> None:
    project.write("chapters/01-first.md", "---\ntitle: A\n---\n\n#### Deep\n")
    assert run("check", "-C", project.root).exit_code == 0
    assert run("check", "-C", project.root, "--strict").exit_code == 1


def test_config_error_is_reported(project: Project) -> None:
    project.write("report.toml", '[report]\ntitle = "T"\n')
    result = run("check", "-C", project.root)
    assert (
        result.exit_code == 1 and "report.toml:1: error: [report] has no 'author'" in result.output
    )


def test_collects_errors_from_every_chapter(project: Project) -> None:
    project.write("chapters/01-first.md", "---\ntitle: [a\n---\n")
    project.write("chapters/02-second.md", "---\ntitle: A\nsumary: x\n---\n")
    result = run("check", "-C", project.root)
    assert "chapters/01-first.md" in result.output and "chapters/02-second.md:3" in result.output


def test_check_never_imports_weasyprint() -> None:
    code = (
        "import sys; from click.testing import CliRunner; from build_report.cli import main; "
        f"CliRunner().invoke(main, ['check', '-C', {str(REPO)!r}]); "
        "print('weasyprint' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"


def test_known_properties_match_weasyprint() -> None:
    from weasyprint.css.validation.expanders import EXPANDERS
    from weasyprint.css.validation.properties import PROPERTIES

    assert set(PROPERTIES) | set(EXPANDERS) == KNOWN_PROPERTIES
