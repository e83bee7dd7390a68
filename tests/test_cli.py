"""The command line: help, version, errors without tracebacks, nothing half-written."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from build_report import __version__

from tests.conftest import REPO, Project, assert_clean_error, run


def test_version() -> None:
    result = run("--version")
    assert result.exit_code == 0 and __version__ in result.output


def test_help_lists_commands() -> None:
    result = run("--help")
    assert result.exit_code == 0
    assert "pdf" in result.output


def test_usage_error_exits_2(project: Project) -> None:
    result = project.build("pdf", "--paper", "a3")
    assert result.exit_code == 2
    assert "Traceback" not in result.output


def test_python_dash_m_works() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "build_report", "--version"],
        capture_output=True,
        text=True,
        cwd=REPO,
        check=False,
    )
    assert done.returncode == 0 and __version__ in done.stdout


def test_the_command_exits_with_its_code_and_leaves_nothing_behind(project, tmp_path) -> None:
    """`python -m build_report` (as the script) ends at once after the build (cli.run): its
    exit codes, its messages and its clean-up are those of a normal exit."""
    scratch = tmp_path / "tmp"
    scratch.mkdir()

    def command(*args: str) -> subprocess.CompletedProcess:
        env = {**os.environ, "TMPDIR": str(scratch)}
        return subprocess.run(
            [sys.executable, "-m", "build_report", *args, "-C", str(project.root)],
            capture_output=True,
            text=True,
            env=env,
            check=False,
        )

    built = command("pdf", "--no-cache")
    assert built.returncode == 0, built.stderr
    written = list((project.root / "build").glob("*.pdf"))
    assert len(written) == 1 and f"{written[0].name} (" in built.stdout
    assert list(scratch.iterdir()) == []  # the scratch folder went, as in a normal exit
    usage = command("pdf", "--paper", "a3")
    assert usage.returncode == 2 and "Usage" in usage.stderr and "Traceback" not in usage.stderr
    (project.root / "styles" / "print.css").unlink()
    failed = command("pdf", "--no-cache")
    assert failed.returncode == 1 and "styles/print.css" in failed.stderr
    assert "Traceback" not in failed.stderr
    assert list(scratch.iterdir()) == []


def test_missing_stylesheet(project: Project) -> None:
    (project.root / "styles" / "print.css").unlink()
    message = assert_clean_error(project.build("pdf"), names="styles/print.css")
    assert "print_css" in message
    assert project.outputs() == []


def test_failed_build_keeps_previous_output(project: Project) -> None:
    assert project.build("pdf").exit_code == 0
    out = project.root / "build" / "fixture-book.pdf"
    before = out.read_bytes()
    project.write("chapters/01-first.md", "---\ntitle: [broken\n---\n")
    assert_clean_error(project.build("pdf"), names="chapters/01-first.md")
    assert out.read_bytes() == before
    assert sorted(p.name for p in (project.root / "build").iterdir()) == [
        ".cache",
        "SHA256SUMS",
        "fixture-book.pdf",
    ]
    assert not [p for p in (project.root / "build").rglob("*") if ".tmp" in p.name]


def test_output_may_not_overwrite_a_source(project: Project) -> None:
    target = project.root / "chapters" / "01-first.md"
    before = target.read_bytes()
    assert_clean_error(project.build("pdf", "-o", target), names="01-first.md")
    assert target.read_bytes() == before


def test_weasyprint_warnings_are_shown_with_the_stylesheet(project: Project) -> None:
    css = project.root / "styles" / "print.css"
    css.write_text(css.read_text() + "\n.x { colr: red; }\n")
    line = len(css.read_text().splitlines())
    result = project.build("pdf")
    assert result.exit_code == 0
    assert f"styles/print.css:{line}:" in result.output and "colr" in result.output
    strict = project.build("pdf", "--strict", "-o", project.root / "strict.pdf")
    assert_clean_error(strict, names=f"styles/print.css:{line}")
    assert not (project.root / "strict.pdf").exists()


def test_missing_image_is_a_warning_and_an_error_under_strict(project: Project) -> None:
    project.write("chapters/01-first.md", "---\ntitle: A\n---\n\n![A map](images/map.png)\n")
    result = project.build("pdf", "--strict")
    message = assert_clean_error(result, names="chapters/01-first.md:5")
    assert "images/map.png not found" in message
    assert project.outputs() == []
    result = project.build("pdf")
    assert result.exit_code == 0 and "chapters/01-first.md:5: warning: image" in result.output


def test_pdf_does_not_import_weasyprint_for_help() -> None:
    code = (
        "import sys; from click.testing import CliRunner; from build_report.cli import main; "
        "CliRunner().invoke(main, ['--help']); print('weasyprint' in sys.modules)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO
    )
    assert done.stdout.strip() == "False"


def test_emit_html(project: Project, tmp_path) -> None:
    html = tmp_path / "elsewhere" / "print.html"
    result = project.build("pdf", "--emit-html", html)
    assert result.exit_code == 0, result.output
    text = html.read_text()
    assert "First Chapter" in text and "<base href=" in text
    base = text.split('<base href="')[1].split('"')[0]
    assert (html.parent / base / "styles" / "print.css").resolve().is_file()


def test_missing_anchor_is_a_warning_at_the_link(project: Project) -> None:
    project.write("chapters/01-first.md", "---\ntitle: A\n---\n\nText.\n\nSee [there](#nowhere).\n")
    result = project.build("pdf")
    assert result.exit_code == 0
    assert (
        "chapters/01-first.md:7: warning: link to #nowhere: "
        "no such anchor in this chapter or the book" in result.output
    )
    assert_clean_error(
        project.build("pdf", "--strict", "--no-cache"), names="chapters/01-first.md:7"
    )


def test_a_bug_is_one_line_and_its_traceback_is_behind_verbose(
    project, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The last net: an unexpected exception (a bug of ours) still ends in one line."""
    from build_report.commands import build

    def broken(*args, **kwargs):
        raise ZeroDivisionError("division by zero\nsecond line")

    monkeypatch.setattr(build, "run", broken)
    monkeypatch.delenv("BUILD_REPORT_DEBUG")
    result = project.build("html")
    line = assert_clean_error(result, names="internal error (ZeroDivisionError: division by zero)")
    assert "please report it" in line and "second line" not in result.output
    verbose = run("-v", "html", "-C", project.root)
    assert "Traceback" in verbose.output and verbose.exit_code == 1


def test_paths_the_system_refuses_are_one_line(project, tmp_path) -> None:
    """Names too long for the file system, wherever they are met (report.toml's output_dir,
    init's folder): one line naming the path, not a traceback."""
    toml = project.root / "report.toml"
    toml.write_text(toml.read_text() + f'\n[build]\noutput_dir = "{"a" * 300}"\n')
    line = assert_clean_error(project.build("pdf"), names="aaaa")
    assert "File name too long" in line
    line = assert_clean_error(run("init", tmp_path / ("b" * 300)), names="bbbb")
    assert "File name too long" in line


def test_a_system_error_without_a_path_is_one_line(project, monkeypatch) -> None:
    """fork() failing (EAGAIN) carries no file name: still one line, never a traceback."""
    from build_report.commands import build

    def no_process(*args, **kwargs):
        raise BlockingIOError(11, "Resource temporarily unavailable")

    monkeypatch.setattr(build, "run", no_process)
    monkeypatch.delenv("BUILD_REPORT_DEBUG")
    line = assert_clean_error(project.build("html"), names="internal error (BlockingIOError")
    assert "Resource temporarily unavailable" in line
