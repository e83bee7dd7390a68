"""Chapter files: front matter, ordering, titles, and errors that point at the line."""

from __future__ import annotations

from build_report.project.chapters import load_book
from build_report.project.config import load_config
from build_report.project.frontmatter import split_front_matter
from build_report.project.model import Question
from pypdf import PdfReader

from tests.conftest import Project, assert_clean_error


def titles(project: Project) -> list[str]:
    return [ch.title for ch in load_book(load_config(project.root)).chapters]


def test_order_by_file_name(project: Project) -> None:
    project.write("chapters/00-preface.md", "---\ntitle: Preface\n---\n\nBefore.\n")
    project.write("chapters/notes.txt", "not a chapter")
    assert titles(project) == ["Preface", "First Chapter", "Second Chapter"]


def test_explicit_order_from_config(project: Project) -> None:
    project.write(
        "report.toml",
        '[report]\ntitle = "T"\nauthor = "A"\n'
        '[build]\nchapters = ["02-second.md", "01-first.md"]\n',
    )
    assert titles(project) == ["Second Chapter", "First Chapter"]
    result = project.build("pdf", "-o", project.root / "o.pdf")
    assert result.exit_code == 0, result.output
    outline = [item.title for item in PdfReader(project.root / "o.pdf").outline]
    assert outline == ["Second Chapter", "First Chapter"]


def test_listed_chapter_missing(project: Project) -> None:
    project.write(
        "report.toml", '[report]\ntitle = "T"\nauthor = "A"\n[build]\nchapters = ["09-nope.md"]\n'
    )
    assert "09-nope.md" in assert_clean_error(project.build("pdf"), names="report.toml")


def test_title_from_heading_when_no_front_matter(project: Project) -> None:
    project.write("chapters/01-first.md", "# Heading Title\n\nBody text.\n")
    assert titles(project)[0] == "Heading Title"


def test_front_matter_fields(project: Project) -> None:
    project.write(
        "chapters/01-first.md",
        """\
        ---
        title: First
        summary: A summary.
        key_points: [one, two]
        timeline:
          - date: 2014
            event: Something happened.
        key_terms:
          - term: Word
            definition: Meaning.
        questions:
          - Why?
        teacher_notes: Only for teachers.
        ---
        Body.
        """,
    )
    chapter = load_book(load_config(project.root)).chapters[0]
    assert chapter.summary == "A summary."
    assert chapter.key_points == ("one", "two")
    assert chapter.timeline[0].date == "2014"
    assert chapter.key_terms[0].definition == "Meaning."
    assert chapter.questions == (Question("Why?"),)
    assert chapter.teacher_notes == "Only for teachers."
    assert chapter.body_line == 15


def test_split_front_matter() -> None:
    assert split_front_matter("no front matter") == (None, "no front matter", 1)
    assert split_front_matter("---\na: 1\n---\nbody\n") == ("a: 1\n", "body\n", 4)
    assert split_front_matter("---\na: 1\n")[2] == -1


def test_empty_chapters_folder(project: Project) -> None:
    for path in (project.root / "chapters").iterdir():
        path.unlink()
    message = assert_clean_error(project.build("pdf"), names="chapters")
    assert ".md" in message
    assert project.outputs() == []


def test_missing_chapters_folder(project: Project) -> None:
    for path in (project.root / "chapters").iterdir():
        path.unlink()
    (project.root / "chapters").rmdir()
    assert_clean_error(project.build("pdf"), names="chapters")


def test_broken_yaml_names_file_and_line(project: Project) -> None:
    project.write("chapters/02-second.md", "---\ntitle: Fine\nsummary: [unclosed\n---\nBody\n")
    message = assert_clean_error(project.build("pdf"), names="chapters/02-second.md:")
    assert "YAML" in message
    line = int(message.split("chapters/02-second.md:")[1].split(":")[0])
    assert line in (3, 4, 5)
    assert project.outputs() == []


def test_unclosed_front_matter(project: Project) -> None:
    project.write("chapters/01-first.md", "---\ntitle: Fine\n\nBody without a closing line\n")
    assert "closing" in assert_clean_error(project.build("pdf"), names="chapters/01-first.md:1")


def test_duplicate_key(project: Project) -> None:
    project.write("chapters/01-first.md", "---\ntitle: A\ntitle: B\n---\nBody\n")
    message = assert_clean_error(project.build("pdf"), names="chapters/01-first.md:3")
    assert "duplicate key 'title'" in message


def test_unknown_front_matter_key(project: Project) -> None:
    """A key we do not use is a warning naming its line (with the nearest known key), and an
    error under --strict."""
    project.write("chapters/01-first.md", "---\ntitle: A\nsumary: x\n---\nBody\n")
    checked = project.build("check")
    assert checked.exit_code == 0
    assert "chapters/01-first.md:3: warning:" in checked.output
    assert "did you mean 'summary'" in checked.output
    built = project.build("html", "-o", project.root / "out")
    assert built.exit_code == 0 and "chapters/01-first.md:3" in built.output, built.output
    strict = project.build("html", "--strict", "-o", project.root / "out2")
    assert_clean_error(strict, names="problem(s) above")
    assert "chapters/01-first.md:3: warning: front matter key 'sumary'" in strict.output
    assert not (project.root / "out2").exists()


def test_wrong_types(project: Project) -> None:
    project.write("chapters/01-first.md", "---\ntitle: A\nkey_points: just one\n---\nBody\n")
    message = assert_clean_error(project.build("pdf"), names="chapters/01-first.md:3")
    assert "list of strings" in message
    project.write("chapters/01-first.md", "---\ntitle: [a, b]\n---\nBody\n")
    assert_clean_error(project.build("pdf"), names="chapters/01-first.md:2")
    project.write("chapters/01-first.md", "---\n- a list\n---\nBody\n")
    assert_clean_error(project.build("pdf"), names="chapters/01-first.md")


def test_no_title_anywhere_takes_the_file_name(project: Project) -> None:
    project.write("chapters/01-getting_started-now.md", "Just text.\n")
    result = project.build("html", "-o", project.root / "out")
    assert result.exit_code == 0, result.output
    text = (project.root / "out" / "getting-started-now.xhtml").read_text()
    assert "Getting started now</h1>" in text


def test_unsafe_yaml_tag_is_refused(project: Project) -> None:
    project.write(
        "chapters/01-first.md",
        "---\ntitle: !!python/object/apply:os.system ['echo hi']\n---\nBody\n",
    )
    assert_clean_error(project.build("pdf"), names="chapters/01-first.md")


def test_invalid_utf8_names_byte(project: Project) -> None:
    (project.root / "chapters" / "01-first.md").write_bytes(b"---\ntitle: A\n---\nbad \xe9 byte\n")
    message = assert_clean_error(project.build("pdf"), names="chapters/01-first.md:4")
    assert "byte 21" in message


def test_questions_with_answers(project: Project) -> None:
    project.write(
        "chapters/01-first.md",
        "---\ntitle: A\nquestions:\n  - Plain?\n  - question: With answer?\n"
        "    answer: Yes.\n---\nBody\n",
    )
    chapter = load_book(load_config(project.root)).chapters[0]
    assert chapter.questions == (Question("Plain?"), Question("With answer?", "Yes."))
    project.write("chapters/01-first.md", "---\ntitle: A\nquestions:\n  - q: x\n---\nBody\n")
    assert "questions" in assert_clean_error(project.build("pdf"), names="chapters/01-first.md:3")
