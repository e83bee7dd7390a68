"""Heading ids as GitHub makes them, so README-style contents links work in every output."""

from __future__ import annotations

import zipfile

from build_report.markup.slugs import heading_slug
from lxml import etree
from pypdf import PdfReader

from tests.conftest import Project

README = """\
# My README

- [What's new?](#whats-new)
- [Über uns](#über-uns)
- [Code `x`](#code-x)
- [Again](#again-1)
- [Anchor](#custom)
- [Raw](#raw-a)
- [Title](#my-readme)

## What's new?

## Über uns

## Code `x`

## Again

## Again

<a id="raw-a"></a>Raw anchor.

## Custom {#custom .wide}

Text.
"""
TARGETS = [
    "whats-new",
    "über-uns",
    "code-x",
    "again-1",
    "custom",
    "raw-a",
    "my-readme",
]


def test_github_slugs() -> None:
    assert heading_slug("What's new?") == "whats-new"
    assert heading_slug("Über uns") == "über-uns"
    assert heading_slug("Привет, мир!") == "привет-мир"
    assert heading_slug("日本語の見出し") == "日本語の見出し"
    assert heading_slug("A  B") == "a--b"  # GitHub keeps each space
    assert heading_slug("snake_case & more") == "snake_case--more"
    assert heading_slug("🎉 Party") == "-party"


def test_in_chapter_links_work_everywhere(project: Project) -> None:
    project.write("chapters/01-first.md", README)
    assert project.build("check").output.strip().endswith("0 error(s), 0 warning(s)")
    out = project.root / "out"
    for command, target in (("epub", "b.epub"), ("pdf", "b.pdf")):
        result = project.build(command, "-o", out / target)
        assert result.exit_code == 0, result.output
        assert "warning" not in result.output, result.output
    with zipfile.ZipFile(out / "b.epub") as archive:
        name = next(n for n in archive.namelist() if n.endswith("first.xhtml"))
        root = etree.fromstring(archive.read(name))
    ns = {"h": "http://www.w3.org/1999/xhtml"}
    ids = set(root.xpath("//@id"))
    links = [a.get("href") for a in root.xpath("//h:li/h:a", namespaces=ns)]
    assert len(links) == len(TARGETS) and all(h.startswith("#") and h[1:] in ids for h in links)
    headings = root.xpath("//h:h2", namespaces=ns)
    custom = next(h for h in headings if h.get("id", "").endswith("custom"))
    assert "".join(custom.itertext()).strip() == "Custom" and "wide" in custom.get("class")
    dests = []
    for page in PdfReader(out / "b.pdf").pages:
        for annotation in page.get("/Annots") or []:
            dest = annotation.get_object().get("/Dest")
            if dest is not None:
                dests.append(str(dest))
    for target in TARGETS[:-1]:
        assert any(d.endswith(target) for d in dests), (target, dests)
    assert dests.count("ch-first") >= 2  # the contents entry, and the link to the title


def test_ids_other_tools_give_are_aliases(project: Project) -> None:
    """Links written for pandoc ("part-2.1") or for our earlier ids ("part-2-1") still land."""
    project.write(
        "chapters/01-first.md",
        "---\ntitle: A\n---\n\n[p](#part-2.1) [o](#part-2-1) [g](#part-21)\n\n## Part 2.1\n",
    )
    result = project.build("check")
    assert result.output.strip().endswith("0 error(s), 0 warning(s)"), result.output


def test_links_to_ids_on_images_and_spans(project: Project) -> None:
    project.write(
        "chapters/01-first.md",
        "---\ntitle: A\n---\n\nSee [the map](#fig-map) and [the term](#term).\n\n"
        "![Map](map.png){#fig-map}\n\nA [word]{#term} here.\n",
    )
    result = project.build("check")
    assert "no such anchor" not in result.output, result.output


def test_in_page_links_of_a_split_document_land_in_the_other_chapter(project: Project) -> None:
    """A README split into chapters keeps its `#section` links: a name found in exactly one
    other chapter is linked there (in the EPUB, to that chapter's file)."""
    project.write("chapters/01-first.md", "# One\n\nGo to [people](#people--body).\n")
    project.write("chapters/02-second.md", "# Two\n\n## People & Body\n\nText.\n")
    assert project.build("check").output.strip().endswith("0 error(s), 0 warning(s)")
    out = project.root / "b.epub"
    assert project.build("epub", "-o", out).exit_code == 0
    with zipfile.ZipFile(out) as archive:
        first = archive.read(next(n for n in archive.namelist() if n.endswith("first.xhtml")))
    assert b'href="second.xhtml#second--people--body"' in first
