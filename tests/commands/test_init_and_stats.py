"""init, new, stats, progress and the documentation of every command."""

from __future__ import annotations

import json
import re
from pathlib import Path

from build_report.cli import main
from click.testing import CliRunner

from tests.conftest import REPO, SEED, Project, run


def test_init_then_pdf(tmp_path: Path) -> None:
    folder = tmp_path / "fresh"
    result = run("init", folder, "--title", 'A "Quoted" Title', "--author", "Ann")
    assert result.exit_code == 0, result.output
    assert run("check", "-C", folder).exit_code == 0
    built = run("pdf", "-C", folder)
    assert built.exit_code == 0, built.output
    assert (folder / "build" / "a-quoted-title.pdf").is_file()
    assert (folder / "styles" / "fonts" / "CharisSIL-Regular.ttf").is_file()
    assert not (folder / "styles").is_symlink()


def test_init_refuses_a_used_folder(project: Project) -> None:
    result = run("init", project.root)
    assert result.exit_code == 1 and "already exists" in result.output


def test_new_adds_the_next_numbered_chapter(project: Project) -> None:
    result = run("new", "Further Reading: notes", "-C", project.root)
    assert result.exit_code == 0, result.output
    path = project.root / "chapters" / "03-further-reading-notes.md"
    assert path.is_file()
    assert path.read_text().startswith('---\ntitle: "Further Reading: notes"\n---\n')
    assert run("pdf", "-C", project.root).exit_code == 0
    again = run("new", "Further Reading: notes", "-C", project.root)
    assert again.exit_code == 0 and "04-" in again.output


def test_stats_match_the_text() -> None:
    blocks = [b.strip() for b in SEED.read_text(encoding="utf-8").split("\n\n") if b.strip()]
    headings = {
        "The Genesis of a Noteworthy Dynamic",
        "Key Interactions and Encounters",
        "Impacts on International Relations",
        "Potential Future Trajectory",
        "Conclusion",
    }
    counts, current = [0], 0
    for block in blocks[2:]:
        if block in headings:
            counts.append(0)
            current += 1
        else:
            counts[current] += len(block.split())
    result = run("stats", "-C", REPO, "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert [c["words"] for c in data["chapters"]] == counts
    assert data["words"] == sum(counts)
    assert data["reading_minutes"] == -(-sum(counts) // 230)
    assert data["footnotes"] == 0 and data["images"] == 0


def test_stats_counts_notes_images_and_pages(project: Project) -> None:
    project.write(
        "chapters/01-first.md",
        "---\ntitle: A\n---\n\nOne two three.[^a] ![alt words](x.png)\n\n[^a]: Note.\n",
    )
    data = json.loads(run("stats", "-C", project.root, "--json").output)
    first = data["chapters"][0]
    assert (first["words"], first["footnotes"], first["images"]) == (3, 1, 1)
    assert data["pdf_pages"] is None
    (project.root / "chapters" / "x.png").write_bytes(b"")
    project.write("chapters/01-first.md", "---\ntitle: A\n---\n\nOne two three.\n")
    assert run("pdf", "-C", project.root).exit_code == 0
    data = json.loads(run("stats", "-C", project.root, "--json").output)
    assert data["pdf_pages"] == 4
    table = run("stats", "-C", project.root).output
    assert re.search(r"total\s+6\s+1\s+0\s+0", table) and "4 pages" in table


def test_quiet_and_verbose(project: Project) -> None:
    quiet = run("--quiet", "pdf", "-C", project.root)
    assert quiet.exit_code == 0 and quiet.output == ""
    verbose = run("--verbose", "pdf", "-C", project.root, "--no-cache")
    assert "reading chapters" in verbose.output and "laying out" in verbose.output
    piped = run("pdf", "-C", project.root, "--no-cache")
    assert "\r" not in piped.output  # no live progress when not on a terminal


def test_no_color(project: Project, monkeypatch) -> None:
    project.write("chapters/01-first.md", "---\ntitle: A\n---\n\n#### Deep\n")
    colored = CliRunner().invoke(main, ["check", "-C", str(project.root)], color=True)
    assert "\x1b[" in colored.output
    monkeypatch.setenv("NO_COLOR", "1")
    plain = CliRunner().invoke(main, ["check", "-C", str(project.root)], color=True)
    assert "\x1b[" not in plain.output and "warning" in plain.output


def test_every_command_has_help_and_a_readme_entry() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert main.commands
    for name, command in main.commands.items():
        assert command.help and len(command.help) > 20, name
        assert f"`build-report {name}" in readme, name
        assert run(name, "--help").exit_code == 0
    assert "_BUILD_REPORT_COMPLETE" in readme


def test_init_writes_valid_toml_for_any_title(tmp_path: Path) -> None:
    import tomllib

    title = 'Line one\nline "two" \\ and a tab\t'
    result = CliRunner().invoke(main, ["init", str(tmp_path / "p"), "--title", title])
    assert result.exit_code == 0, result.output
    text = (tmp_path / "p" / "report.toml").read_text(encoding="utf-8")
    assert tomllib.loads(text)["report"]["title"] == title
    assert text.startswith("# A new build-report project")
