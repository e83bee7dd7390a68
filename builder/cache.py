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

from builder import __version__

CACHE_DIR = ".cache"


def _sha(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


@cache
def tool_fingerprint() -> str:
    """The version plus the bytes of the package itself: an edited template invalidates."""
    package = Path(__file__).parent
    sha = hashlib.sha256(__version__.encode())
    for path in sorted(package.rglob("*")):
        if path.suffix in (".py", ".jinja") and path.is_file():
            sha.update(path.relative_to(package).as_posix().encode())
            sha.update(path.read_bytes())
    return sha.hexdigest()


def _clock_key() -> str:
    """Outputs print a date: SOURCE_DATE_EPOCH pins it; otherwise the day is part of the key."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
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
    from builder.files import write_text

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
