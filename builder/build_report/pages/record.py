"""Where each page of the print book starts, recorded once and reused.

A PDF build lays the book out anyway, so it records its pages (pdf/internals.page_starts)
in a small sealed JSON under the output folder's cache, `.cache/pages/`, named by a keyed
hash of the tool and of the print HTML: the chapters, the edition and the paper are all in
that HTML, so an ebook of the same edition and paper finds the record of its PDF, and one
of another paper does not. The record also lists the files the layout loaded (stylesheets,
fonts, images) with their digests, and is used only while they are unchanged, as the part
store does (cache.PartStore). When there is no record (no PDF built yet, --no-cache, or a
parallel PDF build, whose parts are laid out apart), the ebook lays the book out itself
(without painting it: about half the cost of the PDF) and leaves the record for the next.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass
from pathlib import Path

from build_report import cache
from build_report.files import output_folder

PAGES_DIR = "pages"
PAGES_LIMIT = 16  # records kept (editions x papers); the least recently used go
CLOCK = re.compile(r'<meta name="dcterms\.(?:created|modified)"[^>]*>\n?')


@dataclass(frozen=True)
class PageStart:
    """One page of the PDF: its printed number (`label`) and where it starts (see
    pdf/internals.page_starts for the fields)."""

    label: str
    block: str | None
    offset: int
    text: str
    next: str | None
    section: str | None
    chapters: tuple[int, ...]

    @classmethod
    def of(cls, index: int, found: dict) -> PageStart:
        return cls(
            str(index + 1),  # the footers count every page from the cover: print.css
            found["block"],
            found["offset"],
            found["text"],
            found["next"],
            found["section"],
            tuple(found["chapters"]),
        )

    def as_json(self) -> dict:
        return {
            "label": self.label,
            "block": self.block,
            "offset": self.offset,
            "text": self.text,
            "next": self.next,
            "section": self.section,
            "chapters": list(self.chapters),
        }


@dataclass(frozen=True)
class PageMap:
    """The pages of one print layout, in order, and the files that layout loaded (an output
    made from it is out of date when one changes: print.css, a font)."""

    pages: tuple[PageStart, ...]
    inputs: tuple[Path, ...] = ()

    def chapter_pages(self, number: int) -> tuple[str, str] | None:
        """The printed numbers of the first and last page holding chapter `number`."""
        labels = [p.label for p in self.pages if number in p.chapters]
        return (labels[0], labels[-1]) if labels else None


def unclocked(html: str) -> str:
    """The print HTML without the build's clock (its metadata dates): what keys a record."""
    return CLOCK.sub("", html)


def _valid(record: dict | None) -> bool:
    if record is None or not isinstance(record.get("pages"), list):
        return False
    keys = {"label", "block", "offset", "text", "next", "section", "chapters"}
    return all(isinstance(p, dict) and set(p) == keys for p in record["pages"]) and (
        isinstance(record.get("inputs_key"), str) and cache._is_list_of_str(record.get("inputs"))
    )


class PageStore:
    """The page records of one project's output folder (see the module's docstring)."""

    def __init__(self, root: Path, output_dir: str) -> None:
        self.root = root.resolve()
        self.folder = output_folder(root, output_dir)

    def name(self, html: str) -> str:
        body = f"pages\0{cache.tool_fingerprint()}\0{unclocked(html)}".encode()
        return hmac.new(cache.secret(), body, hashlib.sha256).hexdigest()[:40]

    def _inputs_key(self, inputs: list[str]) -> str | None:
        sha = hashlib.sha256()
        for name in inputs:
            digest = cache._input_sha(self.root, name)
            if digest is None:
                return None
            sha.update(f"{name}\n{digest}\n".encode())
        return sha.hexdigest()

    def get(self, html: str) -> PageMap | None:
        folder = cache._cache_folder(self.folder, PAGES_DIR)
        if folder is None:
            return None
        name = self.name(html)
        data = cache._read(folder / f"{name}.json", cache.MAX_RECORD_BYTES)
        record = cache._unsealed("pages", name, data)
        if not _valid(record) or self._inputs_key(record["inputs"]) != record["inputs_key"]:
            return None
        try:
            pages = tuple(
                PageStart(**{**p, "chapters": tuple(p["chapters"])}) for p in record["pages"]
            )
        except TypeError:
            return None
        return PageMap(pages, tuple(self.root / name for name in record["inputs"]))

    def put(self, html: str, pages: PageMap, inputs) -> None:
        """Keep the record; nothing when an input is outside the project or unreadable."""
        self.put_named(self.name(html), pages, inputs)

    def put_named(self, name: str, pages: PageMap, inputs) -> None:
        """`put`, under the name of the HTML (a parallel build lays out the book in parts, and
        names the record by the whole book's HTML, made when it was planned)."""
        from build_report.files import write_text

        names = cache._relative(self.root, inputs)
        inputs_key = None if names is None else self._inputs_key(names)
        folder = cache._cache_folder(self.folder, PAGES_DIR, create=True)
        if names is None or inputs_key is None or folder is None:
            return
        record = {
            "pages": [p.as_json() for p in pages.pages],
            "inputs": names,
            "inputs_key": inputs_key,
        }
        write_text(folder / f"{name}.json", cache._sealed("pages", name, record))
        _prune(folder)


def _prune(folder: Path) -> None:
    """The least recently written records beyond PAGES_LIMIT go (only files named as ours)."""
    import contextlib

    found = []
    for path in folder.glob("*.json"):
        if cache.PART_NAME.fullmatch(path.stem) and path.is_file() and not path.is_symlink():
            found.append((path.stat().st_mtime, path))
    for _, path in sorted(found, reverse=True)[PAGES_LIMIT:]:
        with contextlib.suppress(OSError):
            path.unlink()


def blank_start() -> dict:
    """A page without chapter text (the cover, the contents): no place in the ebook."""
    return {"block": None, "offset": 0, "text": "", "next": None, "section": None, "chapters": []}


def page_map_of(starts: list[dict]) -> PageMap:
    return PageMap(tuple(PageStart.of(i, found) for i, found in enumerate(starts)))


def print_pages(book, no_cache: bool = False) -> PageMap:
    """The pages of the book's PDF (whole, not imposed), from the record its PDF build left,
    or laid out now (and recorded) when there is none. With a selection of chapters
    (--chapters), still the whole book's: its pages are the PDF's."""
    import dataclasses

    from build_report.html.documents import print_document
    from build_report.pdf.adapter import Layout, PdfOptions, lay_out_pages

    if book.whole:
        book = dataclasses.replace(book, chapters=book.whole, whole=())
    html = print_document(book)
    store = None if no_cache else PageStore(book.root, book.config.build.output_dir)
    found = store.get(html) if store else None
    if found is not None:
        return found
    starts, inputs = lay_out_pages(Layout.of(book, html), PdfOptions())
    pages = dataclasses.replace(page_map_of(starts), inputs=inputs)
    if store:
        store.put(html, pages, inputs)
    return pages


def cited_pages(book, no_cache: bool = False) -> tuple[dict[int, str], tuple[Path, ...]]:
    """What each chapter (by number) cites of the briefing's pages, in the book's words:
    "Briefing pp. 4–5" (the handout's chapter headings, `briefing_pages` under [handout]),
    and the files the briefing's layout loaded."""
    pages = print_pages(book, no_cache)
    label = book.config.report.label
    cited: dict[int, str] = {}
    for chapter in book.all_chapters:
        found = pages.chapter_pages(chapter.number)
        if found is None:
            continue
        first, last = found
        if first == last:
            cited[chapter.number] = book.words("briefing_page", label=label, first=first)
        else:
            cited[chapter.number] = book.words(
                "briefing_pages", label=label, first=first, last=last
            )
    return cited, pages.inputs
