"""Hostile text in chapters and front matter: odd YAML, control characters, links that would
become `file:` links, and names that would paint the terminal. Each ends in one clean error
line or a safe build, never a traceback."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from lxml import etree
from pypdf import PdfReader

from tests.conftest import Project, assert_clean_error

YAML_ERRORS = {  # front matter -> (the line named, what the message says)
    "complex-key": ("? [a, b]\n: c", 2, "keys must be plain words"),
    "deep-nesting": ("title: x\nsummary: " + "[" * 5000 + "]" * 5000, 3, "nested more than"),
    "impossible-tagged-date": ("title: x\nsummary: !!timestamp 2017-02-30", 2, "cannot read"),
    "huge-tagged-number": ("title: x\nsummary: !!float 1e99999999", 3, "must be a string"),
}


@pytest.mark.parametrize("name", sorted(YAML_ERRORS))
def test_odd_yaml_is_one_error_line(project: Project, name: str) -> None:
    front, number, message = YAML_ERRORS[name]
    project.write("chapters/01-first.md", f"---\n{front}\n---\n\nText.\n")
    checked = project.build("check")
    assert "Traceback" not in checked.output, checked.output
    assert checked.exception is None or isinstance(checked.exception, SystemExit)
    result = project.build("html")
    where = f"chapters/01-first.md:{number}"
    line = assert_clean_error(result, names=where)
    assert message in line, line
    assert checked.exit_code == 1 and f"{where}: error:" in checked.output


def test_impossible_date_is_kept_as_written(project: Project) -> None:
    """Dates in front matter are the author's text: 2017-02-30 is printed, not a crash."""
    project.write(
        "chapters/01-first.md",
        "---\ntitle: x\ntimeline:\n  - date: 2017-02-30\n    event: Nothing happened\n---\n\nT.\n",
    )
    result = project.build("html", "-o", project.root / "out")
    assert result.exit_code == 0, result.output
    text = (project.root / "out" / "first.xhtml").read_text("utf-8")
    assert "2017-02-30" in text


CONTROLS = "\f\x1b\x07\ufffe\x85"


def test_control_characters_reach_no_output(project: Project) -> None:
    """Form feed, ESC, BEL, U+FFFE and a C1 control, in a title (through a YAML escape), the
    body and report.toml: html and epub build, their XHTML parses as XML, none of them is in
    it, and check agrees that nothing is wrong."""
    project.write(
        "chapters/01-first.md",
        '---\ntitle: "Bad \\f title \\e[31m \\uFFFE end"\nsummary: "a\\x07b"\n---\n\n'
        f"Body {CONTROLS} text.\n",
    )
    toml = project.root / "report.toml"
    toml.write_text(toml.read_text().replace('"Tester"', '"Test\\u000cer"'))
    assert project.build("check").exit_code == 0
    out = project.root / "out"
    for command, target in (("html", "html"), ("epub", "book.epub")):
        result = project.build(command, "-o", out / target)
        assert result.exit_code == 0, result.output
    documents = [p.read_bytes() for p in (out / "html").glob("*.xhtml")]
    with zipfile.ZipFile(out / "book.epub") as archive:
        documents += [archive.read(n) for n in archive.namelist() if n.endswith(".xhtml")]
    assert len(documents) >= 6
    for data in documents:
        etree.fromstring(data)  # well-formed XML
        text = data.decode("utf-8")
        assert not any(c in text for c in CONTROLS), repr(text[:200])
    joined = b"".join(documents).decode()
    assert "Bad  title [31m  end" in joined and "Tester" in joined


def test_front_matter_links_never_become_file_links(project: Project) -> None:
    """Relative and `//host` links in front matter have no chapter folder to resolve from:
    the PDF keeps their text and only web links."""
    project.write(
        "chapters/01-first.md",
        "---\ntitle: x\nkey_points:\n"
        '  - "[unc](//evil.example/share/x.exe) and [rel](payload.exe)"\n'
        '  - "[web](https://example.org/ok)"\n---\n\nText.\n',
    )
    out = project.root / "a.pdf"
    result = project.build("pdf", "-o", out)
    assert result.exit_code == 0, result.output
    uris = []
    for page in PdfReader(out).pages:
        for annotation in page.get("/Annots") or []:
            action = annotation.get_object().get("/A") or {}
            if "/URI" in action:
                uris.append(str(action["/URI"]))
    assert "https://example.org/ok" in uris
    assert not [u for u in uris if not u.startswith("https:")], uris
    text = " ".join(page.extract_text() for page in PdfReader(out).pages)
    assert "unc" in text and "rel" in text


def test_terminal_escapes_in_names_are_shown_not_obeyed(project: Project) -> None:
    """A file name with ESC and a line break cannot repaint the terminal or forge a second
    `Error:` line."""
    name = "03-\x1b[2Jx\nError: forged.md"
    (project.root / "chapters" / name).write_text("---\ntitle: [unclosed\n---\n")
    result = project.build("html")
    line = assert_clean_error(result, names="chapters/03-")
    assert "\x1b" not in result.output and "\\x1b" in line
    assert "\\nError: forged" in line


def test_terminal_escapes_in_titles_are_shown_not_obeyed(project: Project) -> None:
    project.write("chapters/01-first.md", '---\ntitle: "Red \\e[31m \\u202Eevil"\n---\n\nT.\n')
    result = project.build("stats")
    assert result.exit_code == 0, result.output
    assert "\x1b" not in result.output and "\u202e" not in result.output


def test_printable_escapes_every_control(tmp_path: Path) -> None:
    from build_report.errors import printable

    assert printable("a\nb\x1b[0m\u202ec\td") == "a\\nb\\x1b[0m\\u202ec\\td"
    assert printable("Ünïcode ok — 日本") == "Ünïcode ok — 日本"


def test_check_never_reads_a_stylesheet_outside(project: Project, tmp_path: Path) -> None:
    """`check` names the import that leaves the project and never opens the file it names
    (whose content would otherwise be echoed in its findings)."""
    secret = "LEAKED-SECRET-4d2"
    (project.root.parent / "outside.css").write_text(
        f'@import url("https://{secret}.example/x.css");\np {{ {secret}: 1 }}\n'
    )
    sheet = project.root / "styles" / "screen.css"
    sheet.write_text('@import url("../../outside.css");\n' + sheet.read_text())
    result = project.build("check")
    assert result.exit_code == 1
    assert "styles/screen.css:1: error: ../../outside.css is outside the project" in result.output
    assert secret not in result.output


def test_chapter_swapped_for_a_link_after_the_check_is_not_read(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The race: chapters/ is listed and checked, then a chapter becomes a symbolic link to an
    outside file before it is read. The read refuses it instead of following the link."""
    from build_report.project import chapters

    secret = project.root.parent / "secret.md"
    secret.write_text("---\ntitle: SECRET-CANARY\n---\n\nSECRET-CANARY\n")
    checked = chapters._inside

    def check_then_swap(config, path):
        result = checked(config, path)
        if path.name == "02-second.md":
            path.unlink()
            path.symlink_to(secret)
        return result

    monkeypatch.setattr(chapters, "_inside", check_then_swap)
    result = project.build("html", "-o", project.root / "out")
    line = assert_clean_error(result, names="chapters/02-second.md")
    assert "SECRET-CANARY" not in result.output and "left the project" in line
    assert not (project.root / "out").exists()


def test_deep_toml_front_matter_is_one_line(project: Project) -> None:
    project.write("chapters/01-first.md", "+++\na = " + "[" * 3000 + "]" * 3000 + "\n+++\nT.\n")
    assert "nested too deeply" in assert_clean_error(
        project.build("html"), names="chapters/01-first.md:2"
    )
