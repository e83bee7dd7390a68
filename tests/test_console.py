"""What the terminal shows: warnings grouped by kind, every one of them with -v."""

from __future__ import annotations

from tests.conftest import Project, run


def test_warnings_are_grouped_by_kind(project: Project) -> None:
    links = "\n\n".join(f"[doc {n}](missing-{n}.docx)" for n in range(12))
    anchors = "\n\n".join(f"[here {n}](#nowhere-{n})" for n in range(3))
    project.write("chapters/01-first.md", f"---\ntitle: A\n---\n\n{links}\n\n{anchors}\n")
    result = project.build("html", "-o", project.root / "out")
    assert result.exit_code == 0, result.output
    warnings = [line for line in result.output.splitlines() if ": warning: " in line]
    assert len(warnings) == 2, result.output
    files, missing = warnings
    assert files.startswith("chapters/01-first.md:5: warning: link to missing-0.docx")
    assert "[and 11 more like it: chapters/01-first.md:7, chapters/01-first.md:9, " in files
    assert files.endswith("...; -v lists them all]")
    assert "[and 2 more like it:" in missing
    verbose = run("-v", "html", "-C", project.root, "-o", project.root / "out2")
    listed = [line for line in verbose.output.splitlines() if ": warning: " in line]
    assert len(listed) == 15 and not any("more like it" in line for line in listed)


def test_check_groups_too(project: Project) -> None:
    body = "\n\n".join(f"[x](#gone-{n})" for n in range(5))
    project.write("chapters/01-first.md", f"---\ntitle: A\n---\n\n{body}\n")
    result = project.build("check")
    lines = [line for line in result.output.splitlines() if "warning:" in line]
    assert len(lines) == 1 and "[and 4 more like it:" in lines[0], result.output
    assert "check: 0 error(s), 5 warning(s)" in result.output
