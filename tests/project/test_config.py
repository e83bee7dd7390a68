"""report.toml: typed values, unknown keys with suggestions, clear errors with line numbers."""

from __future__ import annotations

import pytest
from build_report.errors import BuildError
from build_report.markup.slugs import slugify
from build_report.project.config import load_config
from pypdf import PdfReader

from tests.conftest import Project, assert_clean_error


def test_defaults_and_slug(project: Project) -> None:
    config = load_config(project.root)
    assert config.report.title == "Fixture Book"
    assert config.report.slug == "fixture-book"
    assert config.report.language == "en-US"  # the default: American hyphenation
    assert config.build.paper == "a4"
    assert config.build.print_css == "styles/print.css"


def test_slugify() -> None:
    assert slugify("Trump & Putin: The Complex Relationship Examined") == (
        "trump-putin-the-complex-relationship-examined"
    )
    assert slugify("Ça va — déjà") == "ca-va-deja"
    assert slugify("!!!") == "report"


def test_default_output_uses_slug(project: Project) -> None:
    result = project.build("pdf")
    assert result.exit_code == 0, result.output
    out = project.root / "build" / "fixture-book.pdf"
    assert out.is_file()
    assert str(out) in result.output or "fixture-book.pdf" in result.output


def test_paper_from_config(project: Project) -> None:
    project.write("report.toml", '[report]\ntitle = "T"\nauthor = "A"\n[build]\npaper = "letter"\n')
    result = project.build("pdf", "-o", project.root / "out.pdf")
    assert result.exit_code == 0, result.output
    box = PdfReader(project.root / "out.pdf").pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (612, 792)


def test_cli_paper_overrides_config(project: Project) -> None:
    project.write("report.toml", '[report]\ntitle = "T"\nauthor = "A"\n[build]\npaper = "letter"\n')
    assert load_config(project.root, paper="a4").build.paper == "a4"


def test_missing_config(project: Project) -> None:
    (project.root / "report.toml").unlink()
    message = assert_clean_error(project.build("pdf"), names="report.toml")
    assert "-C" in message
    assert project.outputs() == []


def test_toml_syntax_error_has_line(project: Project) -> None:
    project.write("report.toml", '[report]\ntitle = "T"\nauthor = A\n')
    message = assert_clean_error(project.build("pdf"), names="report.toml:3")
    assert "TOML" in message
    assert project.outputs() == []


def test_unknown_key_suggests_nearest(project: Project) -> None:
    project.write("report.toml", '[report]\ntitle = "T"\nauthor = "A"\nsubjet = "x"\n')
    message = assert_clean_error(project.build("pdf"), names="report.toml:4")
    assert "subjet" in message and "did you mean 'subject'" in message
    assert project.outputs() == []


def test_unknown_table(project: Project) -> None:
    project.write("report.toml", '[report]\ntitle = "T"\nauthor = "A"\n[biuld]\npaper = "a4"\n')
    message = assert_clean_error(project.build("pdf"), names="report.toml:4")
    assert "did you mean 'build'" in message


@pytest.mark.parametrize(
    ("toml", "line", "fragment"),
    [
        ('[report]\ntitle = 3\nauthor = "A"\n', 2, "must be a string"),
        ('[report]\ntitle = "T"\nauthor = "A"\nkeywords = "a, b"\n', 4, "list of strings"),
        ('[report]\nauthor = "A"\n', 1, "no 'title'"),
        ('[report]\ntitle = "T"\nauthor = "A"\n[build]\npaper = "a3"\n', 5, "unknown paper"),
        ('[report]\ntitle = "T"\nauthor = "A"\nslug = "Not A Slug"\n', 4, "not a plain name"),
    ],
)
def test_invalid_values(project: Project, toml: str, line: int, fragment: str) -> None:
    project.write("report.toml", toml)
    with pytest.raises(BuildError) as caught:
        load_config(project.root)
    assert caught.value.line == line
    assert fragment in caught.value.message
    assert_clean_error(project.build("pdf"), names=f"report.toml:{line}")


def test_invalid_utf8_config(project: Project) -> None:
    (project.root / "report.toml").write_bytes(b'[report]\ntitle = "\xff"\n')
    message = assert_clean_error(project.build("pdf"), names="report.toml")
    assert "UTF-8" in message and "byte" in message


def test_errors_in_a_table_name_the_line_in_that_table(project: Project) -> None:
    project.write(
        "report.toml",
        '[report]\ntitle = "T"\nauthor = "A"\nlabel = "Briefing"\n\n'
        '[build]\npaper = "a4"\n\n[handout]\ncourse = ""\n\n'
        '[editions.student]\nlabel = "Pupils"\n\n\n\n[editions.teacher]\nlabel = 5\n',
    )
    result = project.build("pdf")
    assert_clean_error(result, names="report.toml:18:")
    assert "'label' in [editions.teacher] must be a string" in result.output
