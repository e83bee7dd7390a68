"""Chapters written for other tools: TOML front matter (Hugo, Zola), pandoc title blocks,
their extra keys, and titles taken from the text when front matter has none."""

from __future__ import annotations

from pathlib import Path

from build_report.project.config import load_config

from tests.conftest import Project, assert_clean_error, run


def load(project: Project):
    from build_report.project.chapters import load_book

    return load_book(load_config(project.root))


def test_toml_front_matter(project: Project) -> None:
    project.write(
        "chapters/01-first.md",
        '+++\ntitle = "From Hugo"\nsummary = "A summary."\ndraft = false\nweight = 3\n+++\n\n'
        "Body *text*.\n",
    )
    first = load(project).chapters[0]
    assert first.title == "From Hugo" and first.summary == "A summary."
    assert first.body_line == 7
    assert sorted(w.line for w in first.warnings) == [4, 5]  # draft, weight: unused
    assert [w.kind for w in first.warnings] == [
        "front matter key 'draft' is not used",
        "front matter key 'weight' is not used",
    ]


def test_toml_front_matter_errors_name_the_line(project: Project) -> None:
    project.write("chapters/01-first.md", '+++\ntitle = "x"\nbroken = \n+++\nBody\n')
    line = assert_clean_error(project.build("html"), names="chapters/01-first.md:3")
    assert "TOML" in line
    project.write("chapters/01-first.md", '+++\ntitle = "x"\n')
    assert "'+++'" in assert_clean_error(project.build("html"), names="chapters/01-first.md:1")


def test_pandoc_title_block(project: Project) -> None:
    project.write(
        "chapters/01-first.md",
        "% A Title That Goes\n  On a Second Line\n% Jane Doe; John Roe\n% 2024-01-02\n\nBody.\n",
    )
    first = load(project).chapters[0]
    assert first.title == "A Title That Goes On a Second Line"
    assert first.body_line == 5 and not first.warnings


def test_title_from_the_first_heading(project: Project) -> None:
    """A leading level-1 heading is the title and leaves the body; otherwise the first heading
    of any level names the chapter and stays in the text."""
    project.write("chapters/01-first.md", "\n# Opening *Title*\n\nText.\n\n## Part\n")
    project.write(
        "chapters/02-second.md", '<p align="center">badge</p>\n\n### Deep heading\n\nText.\n'
    )
    first, second = load(project).chapters
    assert first.title == "Opening Title"
    assert [t.tag for t in first.tokens if t.type == "heading_open"] == ["h2"]
    assert second.title == "Deep heading"
    assert [t.tag for t in second.tokens if t.type == "heading_open"] == ["h3"]


def test_line_numbers_after_a_title_heading(project: Project, tmp_path: Path) -> None:
    """Findings still name the right line when the title heading left the body."""
    project.write("chapters/01-first.md", "# Title\n\nText.\n\n[gone](#nowhere)\n")
    result = project.build("check")
    assert "chapters/01-first.md:5: warning: link to #nowhere" in result.output, result.output


def test_unused_keys_from_other_tools_are_warnings(project: Project) -> None:
    project.write(
        "chapters/01-first.md",
        "---\ntitle: Post\nauthor: A\ndate: 2020-01-01\ntags: [a, b]\ndraft: true\n---\nBody\n",
    )
    project.write("chapters/02-second.md", "---\ntitle: Two\ntags: [c]\n---\nBody\n")
    result = project.build("check")
    assert result.exit_code == 0, result.output
    for key, line in (("author", 3), ("date", 4), ("tags", 5), ("draft", 6)):
        assert f"chapters/01-first.md:{line}: warning: front matter key '{key}'" in result.output


def test_check_reports_every_problem_in_one_run(project: Project) -> None:
    """A chapter whose front matter is broken still has its body checked in the same run."""
    project.write(
        "chapters/01-first.md",
        "---\ntitle: [unclosed\n---\n\n[gone](#nowhere)\n\n[also](missing.md)\n",
    )
    project.write("chapters/02-second.md", "---\ntitle: B\nkey_points: one\n---\n\n[x](#no)\n")
    result = run("-v", "check", "-C", project.root)  # -v: every finding on its own line
    assert result.exit_code == 1
    for expected in (
        "chapters/01-first.md:3: error: front matter is not valid YAML",
        "chapters/01-first.md:5: warning: link to #nowhere",
        "chapters/01-first.md:7: warning: link to missing.md",
        "chapters/02-second.md:3: error: front matter 'key_points' must be a list",
        "chapters/02-second.md:6: warning: link to #no",
    ):
        assert expected in result.output, (expected, result.output)
