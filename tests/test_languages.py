"""Every script and language: fonts for each script, direction, generated words, hyphenation.

The fixture book (tests/fixtures/scripts) has a chapter per script, each with its own
`language:`; the PDFs are opened with pypdf/pdfplumber, the ebooks parsed as XML.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pdfplumber
import pytest
from lxml import etree
from pypdf import PdfReader

from tests.conftest import REPO, Project, new_project, run
from tests.pdf_checks import notdef_characters

SCRIPTS = REPO / "tests" / "fixtures" / "scripts"
XHTML = "{http://www.w3.org/1999/xhtml}"
RTL_CHAPTERS = ("arabic", "hebrew", "persian")


@pytest.fixture(scope="module")
def scripts_book(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("scripts") / "book"
    shutil.copytree(SCRIPTS, root)
    shutil.copytree(REPO / "styles", root / "styles")
    return root


@pytest.fixture(scope="module")
def scripts_pdf(scripts_book: Path) -> Path:
    out = scripts_book / "scripts.pdf"
    result = run("pdf", "-C", scripts_book, "-o", out, "--strict")
    assert result.exit_code == 0, result.output
    return out


def our_font_names() -> set[str]:
    """The families our stylesheets declare (`@font-face`), as names are compared: lower case,
    no spaces or hyphens. WeasyPrint names an embedded font by its family and style."""
    css = (REPO / "styles" / "tokens.css").read_text()
    families = re.findall(r'@font-face \{ font-family: "([^"]+)"', css)
    return {re.sub(r"[\s-]", "", name).lower() for name in families}


def family_of(embedded: str) -> str:
    """ "Noto-Sans-CJK-Bold" -> "notosanscjk"."""
    name = re.sub(r"[\s-]", "", embedded).lower()
    return re.sub(r"(semibold|bolditalic|bold|italic|regular)$", "", name)


def embedded_fonts(path: Path) -> set[str]:
    fonts = set()
    for page in PdfReader(path).pages:
        resources = page.get("/Resources") or {}
        for font in (resources.get("/Font") or {}).values():
            base = str(font.get_object()["/BaseFont"]).lstrip("/")
            fonts.add(base.split("+", 1)[-1])
    return fonts


def test_every_script_prints_with_no_empty_box(scripts_pdf: Path) -> None:
    assert notdef_characters(scripts_pdf) == set()
    text = "".join(page.extract_text() for page in PdfReader(scripts_pdf).pages)
    for sample in (
        "Москва",
        "Ιλιάδα",
        "דג",
        "東京",
        "서울",
        "กรุงเทพ",
        "हिन्दी",
        "简体中文",
        "繁體中文",
    ):
        assert sample in text, sample


def test_every_embedded_font_is_one_of_ours(scripts_pdf: Path) -> None:
    ours = our_font_names()
    embedded = embedded_fonts(scripts_pdf)
    assert len(embedded) >= 10  # a face per script, not one font for all
    strangers = {name for name in embedded if family_of(name) not in ours}
    assert strangers == set()
    assert not any("dejavu" in name.lower() for name in embedded)


def test_check_is_clean_on_the_fixture_and_names_an_undrawable_character(
    scripts_book: Path, tmp_path: Path
) -> None:
    result = run("check", "-C", scripts_book)
    assert result.exit_code == 0 and "warning:" not in result.output, result.output
    book = tmp_path / "book"
    shutil.copytree(scripts_book, book)
    chapter = book / "chapters" / "01-latin.md"
    chapter.write_text(chapter.read_text() + "\nA hieroglyph: 𓀀, twice 𓀀.\n")
    result = run("check", "-C", book)
    lines = chapter.read_text().splitlines()
    number = next(i for i, line in enumerate(lines, 1) if "𓀀" in line)
    column = lines[number - 1].index("𓀀") + 1
    assert f"chapters/01-latin.md:{number}:{column}: warning: no font can draw 𓀀" in result.output
    assert "U+13000 EGYPTIAN HIEROGLYPH A001" in result.output
    assert "(and 1 more)" in result.output


def test_right_to_left_chapters_carry_dir_in_html_and_epub(scripts_book: Path) -> None:
    assert run("html", "-C", scripts_book).exit_code == 0
    folder = scripts_book / "build" / "html"
    for name in RTL_CHAPTERS:
        root = etree.parse(str(folder / f"{name}.xhtml")).getroot()
        assert root.get("dir") == "rtl", name
        assert root.get("lang") in ("ar", "he", "fa")
    latin = etree.parse(str(folder / "latin.xhtml")).getroot()
    assert latin.get("dir") == "ltr" and latin.get("lang") == "en-US"
    japanese = etree.parse(str(folder / "japanese.xhtml")).getroot()
    assert japanese.get("lang") == "ja"


@pytest.mark.slow
def test_the_fixture_epub_passes_epubcheck(scripts_book: Path) -> None:
    result = run("epub", "-C", scripts_book, "--check", "--strict")
    assert result.exit_code == 0, result.output
    assert "EPUBCheck: no errors or warnings" in result.output


def test_the_ebook_carries_subset_fonts_of_the_scripts_it_uses(scripts_book: Path) -> None:
    import zipfile

    assert run("epub", "-C", scripts_book).exit_code == 0
    with zipfile.ZipFile(scripts_book / "build" / "scripts.epub") as archive:
        sizes = {Path(i.filename).name: i.file_size for i in archive.infolist()}
    assert "NotoSansCJK-Regular.otf" in sizes and sizes["NotoSansCJK-Regular.otf"] < 500_000
    assert "NotoNaskhArabic-Regular.ttf" in sizes


# ---- generated words -------------------------------------------------------------------

CHAPTER = """\
---
title: {title}
key_points:
  - {point}
timeline:
  - date: "2017"
    event: {point}
key_terms:
  - term: G20
    definition: {point}
questions:
  - question: {point}
    answer: {point}
---

{body}[^1]

[^1]: {point}
"""
ENGLISH_WORDS = ("Contents", "Chapter", "Key points", "Editorial", "Timeline",
                 "Key terms", "Discussion", "Course", "Teacher", "Name", "Briefing", "edition",
                 "handout", "Suggested answer")  # fmt: skip


def language_book(root: Path, language: str, title: str, body: str, point: str) -> Project:
    book = new_project(root)
    book.write(
        "report.toml", f'[report]\ntitle = "{title}"\nauthor = "X"\nlanguage = "{language}"\n'
    )
    text = CHAPTER.format(title=title, point=point, body=body)
    book.write("chapters/01-one.md", text)
    book.write("chapters/02-two.md", text)
    return book


@pytest.mark.parametrize(
    ("language", "title", "body", "point", "words"),
    [
        ("fr", "Rapport", "Le sommet s’est tenu à Hambourg.", "Hambourg", ("Sommaire", "Chapitre")),
        ("ar", "تقرير", "عقدت القمة في هامبورغ.", "هامبورغ", ("المحتويات", "الفصل")),
    ],
)
def test_a_french_or_arabic_book_prints_no_english_word(
    tmp_path: Path, language: str, title: str, body: str, point: str, words: tuple[str, ...]
) -> None:
    book = language_book(tmp_path / "book", language, title, body, point)
    texts = []
    for command, args in (("pdf", ()), ("handout", ()), ("handout", ("--edition", "teacher"))):
        out = tmp_path / f"{command}-{len(args)}.pdf"
        result = book.build(command, "-o", out, *args)
        assert result.exit_code == 0, result.output
        with pdfplumber.open(out) as pdf:
            texts.append("\n".join(page.extract_text() or "" for page in pdf.pages))
    assert book.build("html").exit_code == 0
    for name in ("index.xhtml", "nav.xhtml", "one.xhtml"):
        root = etree.parse(str(book.root / "build" / "html" / name)).getroot()
        texts.append(" ".join(root.itertext()))
        texts.extend(root.xpath("//@aria-label | //@title | //@alt"))
    every = "\n".join(texts)
    for word in words:
        assert word in every
    for english in ENGLISH_WORDS:
        assert english not in every, english
    assert not re.search(r"page \d+ of \d+", every)
    assert not re.search(r"\b(January|February|March|April|May|June|July|August|September|"
                         r"October|November|December)\b", every)  # fmt: skip


def test_labels_override_any_word_and_an_unknown_label_is_an_error(project: Project) -> None:
    project.write(
        "report.toml",
        '[report]\ntitle = "T"\nauthor = "A"\n[labels]\ncontents = "In this briefing"\n'
        'chapter = "Part {number}"\npage = "{page}/{pages}"\n',
    )
    out = project.root / "a.pdf"
    assert project.build("pdf", "-o", out).exit_code == 0
    text = "\n".join(page.extract_text() for page in PdfReader(out).pages)
    assert "In this briefing" in text and "PART 2" in text.upper() and "3/4" in text
    assert "Contents" not in text and "page 3 of" not in text
    project.write("report.toml", '[report]\ntitle = "T"\nauthor = "A"\n[labels]\ncontent = "x"\n')
    result = project.build("check")
    assert "report.toml:5" in result.output and "unknown key 'content' in [labels]" in result.output


def test_a_malformed_language_tag_is_an_error_at_its_line(project: Project) -> None:
    project.write("report.toml", '[report]\ntitle = "T"\nauthor = "A"\nlanguage = "english!"\n')
    result = project.build("pdf")
    assert result.exit_code == 1
    assert "report.toml:4: language 'english!' is not a language tag" in result.output


# ---- direction of the page ---------------------------------------------------------------


def test_a_right_to_left_book_mirrors_its_pages(tmp_path: Path) -> None:
    book = language_book(tmp_path / "book", "ar", "تقرير", "نص " * 200, "هامبورغ")
    out = tmp_path / "ar.pdf"
    assert book.build("pdf", "-o", out).exit_code == 0
    reader = PdfReader(out)
    titles = [(item.title, reader.get_destination_page_number(item)) for item in reader.outline]
    first = next(page for title, page in titles if title == "تقرير")  # the first chapter
    with pdfplumber.open(out) as pdf:
        page = pdf.pages[first]  # the first chapter page
        width = float(page.width)
        head = [w for w in page.extract_words() if float(w["bottom"]) < 70]
        # The chapter title's running head is at the left edge, the report's at the right.
        assert head and min(float(w["x0"]) for w in head) < width / 3
        assert max(float(w["x1"]) for w in head) > 2 * width / 3
        body = [w for w in page.extract_words() if 200 < float(w["top"]) < 600]
        left, right = min(float(w["x0"]) for w in body), max(float(w["x1"]) for w in body)
        # The report theme's margin column (the headings hang in it) stands before the text:
        # on the right, where a right-to-left line starts.
        assert width - right > left + 50, (left, right)
        contents = pdf.pages[1].extract_words()
        number = next(w for w in contents if w["text"] == str(first + 1))
        assert float(number["x0"]) < width / 3  # page numbers of the contents on the left


# ---- hyphenation ----------------------------------------------------------------------------

# Words whose British and American breaks differ ("contras-ted" / "con-trast-ed").
WORDS_THAT_DIFFER = (
    "contrasted significant nuclear diplomatic objectives important emphasized intricacies "
    "implications fundamental "
)


def line_end_breaks(path: Path) -> list[tuple[str, str]]:
    """(fragment, rest) for every line that ends in a hyphen, with the first word of the line
    below it in the same column (the summary page has two; the briefing a side column)."""
    found = []
    with pdfplumber.open(path) as pdf:
        for page in pdf.pages:
            rows: dict[int, list[dict]] = {}
            for word in page.extract_words():
                rows.setdefault(round(word["top"]), []).append(word)
            segments = []  # (top, x0, x1, text): a row cut where the gap is a column's
            for top, words in sorted(rows.items()):
                words.sort(key=lambda w: w["x0"])
                current = [words[0]]
                for before, word in zip(words, words[1:], strict=False):
                    if word["x0"] - before["x1"] > 12:
                        segments.append((top, current[0]["x0"], current[-1]["x1"], current))
                        current = []
                    current.append(word)
                segments.append((top, current[0]["x0"], current[-1]["x1"], current))
            for top, x0, x1, words in segments:
                end = re.search(r"([A-Za-z]+)[-\u2010]$", words[-1]["text"])
                below = [s for s in segments if s[0] > top and s[1] < x1 and s[2] > x0]
                if not end or not below:
                    continue  # the page's last line: the word would go on overleaf
                following = " ".join(w["text"] for w in min(below)[3])
                if re.fullmatch(r"page \d+ of \d+", following.strip()):
                    continue  # the footer: the word goes on overleaf
                start = re.match(r"[a-z]+", following)
                if start:
                    found.append((end.group(1), start.group()))
    return found


def narrow_book(root: Path, language: str) -> Project:
    book = new_project(root)
    book.write("report.toml", f'[report]\ntitle = "T"\nauthor = "A"\nlanguage = "{language}"\n')
    book.write("chapters/01-one.md", "---\ntitle: One\n---\n\n" + WORDS_THAT_DIFFER * 12 + "\n")
    with open(book.root / "styles" / "print.css", "a") as css:
        css.write("\n.chapter-body p { width: 16mm; hyphens: auto; text-align: justify; }\n")
    return book


def test_american_english_hyphenates_with_american_patterns(tmp_path: Path) -> None:
    import pyphen

    american = pyphen.Pyphen(lang="en_US")
    results = {}
    for language in ("en-US", "en-GB"):
        book = narrow_book(tmp_path / language, language)
        out = tmp_path / f"{language}.pdf"
        assert book.build("pdf", "-o", out).exit_code == 0
        breaks = line_end_breaks(out)
        assert len(breaks) > 10
        results[language] = [len(a) in american.positions(a + b) for a, b in breaks]
    assert all(results["en-US"])
    assert not all(results["en-GB"])  # the check can tell: British breaks are not all American


def test_the_default_briefing_hyphenates_only_at_american_breaks(default_pdf: Path) -> None:
    import pyphen

    american = pyphen.Pyphen(lang="en_US")
    source = " ".join(p.read_text() for p in (REPO / "chapters").glob("*.md"))
    for fragment, rest in line_end_breaks(default_pdf):
        if f"{fragment}-{rest}" in source:
            continue  # a hyphen the author wrote ("deal-making")
        assert len(fragment) in american.positions(fragment + rest), f"{fragment}-{rest}"


# ---- names in any script ------------------------------------------------------------------


def test_a_cyrillic_title_keeps_its_meaning_in_file_names(tmp_path: Path) -> None:
    result = run("init", tmp_path / "book", "--title", "Доклад о России", "--author", "A")
    assert result.exit_code == 0, result.output
    result = run("new", "-C", tmp_path / "book", "Второй раздел")
    assert result.exit_code == 0, result.output
    assert any("второй-раздел" in p.name for p in (tmp_path / "book" / "chapters").iterdir())
    result = run("pdf", "-C", tmp_path / "book")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "book" / "build" / "доклад-о-россии.pdf").is_file()


def test_an_arabic_init_project_is_named_in_arabic(tmp_path: Path) -> None:
    result = run("init", tmp_path / "book", "--title", "تقرير موجز", "--author", "مؤلف")
    assert result.exit_code == 0, result.output
    assert run("pdf", "-C", tmp_path / "book").exit_code == 0
    assert (tmp_path / "book" / "build" / "تقرير-موجز.pdf").is_file()


def test_figures_tables_and_callouts_speak_the_chapter_language(tmp_path: Path) -> None:
    from PIL import Image

    book = new_project(tmp_path / "book")
    book.write("report.toml", '[report]\ntitle = "Bericht"\nauthor = "A"\nlanguage = "de"\n')
    Image.new("RGB", (40, 20), "navy").save(book.root / "chart.png")
    book.write(
        "chapters/01-eins.md",
        "---\ntitle: Eins\n---\n\nWie @fig-chart und @tbl-zahlen zeigen.\n\n"
        "![Umsatz](chart.png){#fig-chart}\n\n| Jahr | Wert |\n|---|---|\n| 2020 | 1 |\n\n"
        "Table: Zahlen {#tbl-zahlen}\n\n> [!WARNING]\n> Vorsicht.\n",
    )
    out = tmp_path / "de.pdf"
    result = book.build("pdf", "-o", out)
    assert result.exit_code == 0, result.output
    text = " ".join(page.extract_text() for page in PdfReader(out).pages)
    assert "Abbildung 1 (S." in text and "Tabelle 1" in text
    assert "Abbildung 1: Umsatz" in text and "WARNUNG" in text.upper()
    assert "Figure" not in text and "Table 1" not in text and "WARNING" not in text.upper()


def test_the_handout_page_number_stays_in_its_corner(project: Project, tmp_path: Path) -> None:
    out = tmp_path / "h.pdf"
    assert project.build("handout", "-o", out).exit_code == 0
    with pdfplumber.open(out) as pdf:
        page = pdf.pages[0]
        words = page.extract_words(extra_attrs=["fontname"])
        number = next(w for w in words if w["text"] == "page")
        assert float(number["x0"]) > 2 * float(page.width) / 3  # bottom-right, not centred
        assert "Inter" in number["fontname"]
