"""Reuse an output when nothing it was made from has changed.

The key covers every input: report.toml, every chapter file, every file the renderer loaded
(stylesheets, fonts, images: recorded from the last build), the options, the date the build
would print, and the tool itself (its version and the hash of its own source and templates).
An output is reused only when all of these match and the output is still the file we wrote.
This module stays light (no Markdown, no WeasyPrint), so a cache hit costs almost nothing.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict
from functools import cache
from pathlib import Path

from build_report import __version__

CACHE_DIR = ".cache"


def _sha(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


@cache
def tool_fingerprint() -> str:
    """The version plus the bytes of the package itself (an edited template invalidates), and
    the versions of the engine and of the Pango it lays text out with (an upgrade of either
    can move every line)."""
    from build_report.pdf.internals import engine_version, pango_version

    package = Path(__file__).parent
    sha = hashlib.sha256(__version__.encode())
    sha.update(f"weasyprint {engine_version()} pango {pango_version()}".encode())
    for path in sorted(package.rglob("*")):
        if path.suffix in (".py", ".jinja") and path.is_file():
            sha.update(path.relative_to(package).as_posix().encode())
            sha.update(path.read_bytes())
    return sha.hexdigest()


def _clock_key() -> str:
    """Outputs print a date: SOURCE_DATE_EPOCH pins it; otherwise the day is part of the key."""
    from build_report.project.clock import source_date_epoch

    epoch = source_date_epoch()
    if epoch is not None:
        return f"epoch:{epoch}"
    import datetime

    return "day:" + datetime.datetime.now(datetime.UTC).date().isoformat()


def source_files(root: Path) -> list[Path]:
    """report.toml and everything under chapters/ (chapters, and images beside them)."""
    files = [root / "report.toml"]
    chapters = root / "chapters"
    if chapters.is_dir():
        files += sorted(p for p in chapters.rglob("*") if p.is_file())
    return files


def _options_key(kind: str, options) -> str:
    fields = {k: str(v) for k, v in sorted(asdict(options).items()) if k not in ("check",)}
    fields["project"] = str(Path(options.project).resolve())
    return hashlib.sha256(json.dumps([kind, fields]).encode()).hexdigest()


def _entry(folder: Path, kind: str, options) -> Path:
    return folder / CACHE_DIR / f"{kind}-{_options_key(kind, options)[:32]}.json"


def _key(root: Path, inputs: list[str]) -> str:
    sha = hashlib.sha256()
    sha.update(tool_fingerprint().encode())
    sha.update(_clock_key().encode())
    for path in [*source_files(root), *(Path(p) for p in inputs)]:
        sha.update(str(path).encode())
        sha.update((_sha(path) or "missing").encode())
    return sha.hexdigest()


def lookup(folder: Path, root: Path, kind: str, options) -> dict | None:
    """The recorded result when the output can be reused, else None."""
    root = root.resolve()
    entry = _entry(folder, kind, options)
    try:
        record = json.loads(entry.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    output = Path(record.get("output", ""))
    if _sha(output) != record.get("sha256"):
        return None
    if _key(root, record.get("inputs", [])) != record.get("key"):
        return None
    return record


def store(folder: Path, root: Path, kind: str, options, output: Path, inputs, **extra) -> None:
    from build_report.files import write_text

    root = root.resolve()
    names = sorted({str(Path(p).resolve()) for p in inputs} - {str(p) for p in source_files(root)})
    record = {
        "key": _key(root, names),
        "inputs": names,
        "output": str(output.resolve()),
        "sha256": _sha(output),
        **extra,
    }
    write_text(_entry(folder, kind, options), json.dumps(record, indent=1))


class PartStore:
    """The parts of chapter-parallel builds (parallel.py), kept so that an edit to one chapter
    lays out that chapter's part only.

    A part is found by the hash of the tool and of its HTML (which holds the chapters' text,
    the options and everything the part shows), and reused only when every file it loaded
    (stylesheets, fonts, images) is unchanged too. Parts carry no page numbers, so a part is
    reusable wherever it falls in the book. The least recently used go beyond `limit`.
    """

    def __init__(self, folder: Path, root: Path, limit: int = 64) -> None:
        self.folder = folder / CACHE_DIR / "parts"
        self.root = root.resolve()
        self.limit = limit
        self._hashes: dict[str, str] = {}

    def _name(self, html: str) -> str:
        sha = hashlib.sha256(tool_fingerprint().encode())
        sha.update(html.encode("utf-8"))
        return sha.hexdigest()[:40]

    def _inputs_key(self, inputs: list[str]) -> str:
        sha = hashlib.sha256()
        for name in inputs:
            if name not in self._hashes:
                self._hashes[name] = _sha(Path(name)) or "missing"
            sha.update(f"{name}\n{self._hashes[name]}\n".encode())
        return sha.hexdigest()

    def get(self, html: str):
        """The rendered part (pdf.adapter.Rendered), or None when it must be laid out."""
        from build_report.pdf.adapter import Rendered

        name = self._name(html)
        entry = self.folder / f"{name}.json"
        try:
            record = json.loads(entry.read_text(encoding="utf-8"))
            data = (self.folder / f"{name}.pdf").read_bytes()
        except (OSError, ValueError):
            return None
        if hashlib.sha256(data).hexdigest() != record.get("sha256"):
            return None
        if self._inputs_key(record.get("inputs", [])) != record.get("inputs_key"):
            return None
        os.utime(entry)  # recently used
        inputs = tuple(Path(p) for p in record["inputs"])
        return Rendered(data, int(record["pages"]), [], inputs)

    def put(self, html: str, rendered) -> None:
        """Keep a part that rendered without warnings (one with warnings is built again, so
        that its warnings are shown again)."""
        from build_report.files import write_bytes, write_text

        if rendered.diagnostics:
            return
        name = self._name(html)
        inputs = sorted({str(Path(p).resolve()) for p in rendered.inputs})
        write_bytes(self.folder / f"{name}.pdf", rendered.data)
        record = {
            "pages": rendered.pages,
            "sha256": hashlib.sha256(rendered.data).hexdigest(),
            "inputs": inputs,
            "inputs_key": self._inputs_key(inputs),
        }
        write_text(self.folder / f"{name}.json", json.dumps(record, indent=1))
        self._prune()

    def _prune(self) -> None:
        entries = sorted(self.folder.glob("*.json"), key=lambda p: p.stat().st_mtime, reverse=True)
        for entry in entries[self.limit :]:
            entry.unlink(missing_ok=True)
            entry.with_suffix(".pdf").unlink(missing_ok=True)
