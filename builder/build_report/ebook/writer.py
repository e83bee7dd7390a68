"""Write the ebook file set as a folder of XHTML (`html`) or as a zipped EPUB 3 (`epub`)."""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path

from build_report import files
from build_report.ebook.package import Ebook, build_ebook, entry_name, package_document
from build_report.errors import BuildError, Diagnostic, fail_on
from build_report.project.model import Book
from build_report.writers import Options, Written, output_path

CONTENT_DIR = "EPUB"
PACKAGE = f"{CONTENT_DIR}/package.opf"


@dataclass(frozen=True)
class EbookJob:
    """The ebook's files, made from the Book, ready to be written where `path` says."""

    path: Path
    ebook: Ebook
    strict: bool
    check: bool = False
    archive: bytes = b""  # the EPUB's bytes (epub only)
    root: Path | None = None  # the project (a folder output checks whose folder it replaces)


def _ebook(book: Book, options: Options, kind: str) -> tuple[Path, Ebook]:
    """The output path (checked) and the file set: what both ebook writers start from."""
    path = output_path(book, kind, options)
    files.check_target(path, book.root, force=options.may_replace)
    pages = None
    if book.config.build.print_pages:
        from build_report.pages.record import print_pages

        pages = print_pages(book, no_cache=options.no_cache or options.allow_network)
    ebook = build_ebook(book, pages)
    if pages is not None:  # the print layout's files: its page breaks change with them
        ebook.inputs = tuple(dict.fromkeys([*ebook.inputs, *pages.inputs]))
    fail_on(ebook.diagnostics, options.strict, kind)
    return path, ebook


class HtmlWriter:
    """The EPUB-ready folder; it replaces the old folder in one rename."""

    kind = "html"
    uses_engine = False

    def prepare(self, book: Book, options: Options) -> EbookJob:
        path, ebook = _ebook(book, options, self.kind)
        return EbookJob(path, ebook, options.strict, root=book.root)

    def write(self, job: EbookJob) -> Written:
        folder = job.path
        with files.folder_writer(folder, job.root) as staging:  # OSErrors become one line there
            for item in job.ebook.items:
                target = under(staging, item.href)
                target.parent.mkdir(parents=True, exist_ok=True)
                with open(target, "xb") as handle:  # a fresh folder: nothing to follow
                    handle.write(item.data)
        return Written(folder, None, len(job.ebook.items), job.ebook.diagnostics)


class EpubWriter:
    """The EPUB; with --check, EPUBCheck validates it before it replaces the old one."""

    kind = "epub"
    uses_engine = False

    def prepare(self, book: Book, options: Options) -> EbookJob:
        path, ebook = _ebook(book, options, self.kind)
        return EbookJob(path, ebook, options.strict, options.check, epub_bytes(book, ebook))

    def write(self, job: EbookJob) -> Written:
        from build_report.ebook.epubcheck import run_epubcheck

        found: list[Diagnostic] = []
        with files.atomic_writer(job.path) as handle:
            handle.write(job.archive)
            if job.check:
                handle.flush()
                found = run_epubcheck(Path(handle.name), shown=job.path.name)
                fail_on(found, job.strict, "EPUBCheck")
        ebook = job.ebook
        checked = found if job.check else None
        diagnostics = ebook.diagnostics + found
        return Written(job.path, None, len(ebook.items), diagnostics, ebook.inputs, checked=checked)


def under(folder: Path, name: str) -> Path:
    """Where the file `name` goes in `folder`: never anywhere else, whatever the name says."""
    target = folder / entry_name(name)
    base = folder.resolve()
    if base not in target.resolve().parents:
        raise BuildError(name, "would be written outside the output folder", "report this")
    return target


def epub_bytes(book: Book, ebook: Ebook) -> bytes:
    """The zip, as EPUB's OCF wants it: `mimetype` first, stored, without extra fields."""
    import io

    from build_report.html.templates import fill

    stamp = book.created.timetuple()[:6]
    stamp = max(stamp, (1980, 1, 1, 0, 0, 0))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:

        def add(name: str, data: bytes, method: int = zipfile.ZIP_DEFLATED) -> None:
            info = zipfile.ZipInfo(entry_name(name), date_time=stamp)
            info.compress_type = method
            info.external_attr = 0o644 << 16
            archive.writestr(info, data)

        add("mimetype", b"application/epub+zip", zipfile.ZIP_STORED)
        container = fill("epub/container.xml.jinja", package_path=PACKAGE)
        add("META-INF/container.xml", container.encode())
        add(PACKAGE, package_document(book, ebook))
        for item in sorted(ebook.items, key=lambda i: i.href):
            add(f"{CONTENT_DIR}/{item.href}", item.data)
    return buffer.getvalue()
