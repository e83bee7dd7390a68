"""Reuse an output when nothing it was made from has changed.

The key covers every input: report.toml, every chapter file, every file the renderer loaded
(stylesheets, fonts, images: recorded from the last build), the options, the date the build
would print, and the tool itself (its version and the hash of its own source and templates).
An output is reused only when all of these match and the output is still the file we wrote.
This module stays light (no Markdown, no WeasyPrint), so a cache hit costs almost nothing.

The cache is untrusted input: build/ may come from someone else's commit. So every record is
sealed with an HMAC under a per-user secret kept outside the project (`secret`), which also
names the parts; nothing is read or written through a symbolic link in the cache path; a
record's inputs are read only inside the project, only as regular files of bounded size;
pruning deletes only regular files named as ours; and an unreadable or malformed record is
simply a miss.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import os
import re
import stat
from collections.abc import Iterable
from dataclasses import asdict
from functools import cache
from pathlib import Path

from build_report import __version__

CACHE_DIR = ".cache"
KEY_ENV = "BUILD_REPORT_CACHE_KEY_DIR"  # where the secret lives (tests point it elsewhere)
KEY_BYTES = 32
MAX_RECORD_BYTES = 4 * 1024 * 1024  # a record lists file names: far below this
MAX_INPUT_BYTES = 20 * 1024 * 1024  # resources.MAX_RESOURCE_BYTES: nothing larger is loaded
PART_LIMIT = 64  # parts kept; the least recently used go beyond it
PART_NAME = re.compile(r"[0-9a-f]{40}")
EXTENSIONS = (".bib", ".json", ".yaml", ".yml", ".csl")  # bibliography files and styles
_KEYS: dict[str, bytes] = {}  # key folder -> secret, read (or made) once per process
# where a flag is missing (Windows), the checks on the opened file still hold
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
_OPEN_FLAGS = os.O_RDONLY | _NOFOLLOW | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)


def key_folder() -> Path | None:
    """Where the secret is kept: $BUILD_REPORT_CACHE_KEY_DIR, else the user's cache folder
    ($XDG_CACHE_HOME or ~/.cache)/build-report; None when there is no home at all."""
    explicit = os.environ.get(KEY_ENV)
    if explicit:
        return Path(explicit)
    xdg = os.environ.get("XDG_CACHE_HOME", "")
    if xdg and Path(xdg).is_absolute():
        return Path(xdg) / "build-report"
    try:
        return Path.home() / ".cache" / "build-report"
    except (RuntimeError, KeyError):
        return None


def secret() -> bytes:
    """The key that seals cache records. It lives outside every project, so a stranger who
    commits build/ cannot forge a record. When the folder is unusable the key is random and
    kept in memory: the cache then works within this run only, and the build never fails."""
    folder = key_folder()
    name = "" if folder is None else str(folder)
    if name not in _KEYS:
        found = _load_key(folder) if folder is not None else None
        _KEYS[name] = found or os.urandom(KEY_BYTES)
    return _KEYS[name]


def _load_key(folder: Path) -> bytes | None:
    """The key kept in `folder`, made there on first use; None when that cannot be done."""
    path = folder / "key"
    try:
        return _read_key(path)
    except FileNotFoundError:
        pass
    except OSError:  # a symbolic link (ELOOP), not a folder, no permission...
        return None
    try:
        return _create_key(folder, path)
    except OSError:
        return None


def _read_key(path: Path) -> bytes | None:
    """The key at `path`, if it is a private regular file of ours of the right size (a key
    that others may read or write vouches for nothing). Raises FileNotFoundError if absent."""
    fd = os.open(path, _OPEN_FLAGS)
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(fd)
        private = os.name != "posix" or (info.st_uid == os.getuid() and not info.st_mode & 0o077)
        if not stat.S_ISREG(info.st_mode) or not private or info.st_size != KEY_BYTES:
            return None
        data = handle.read(KEY_BYTES + 1)
    return data if len(data) == KEY_BYTES else None


def _create_key(folder: Path, path: Path) -> bytes | None:
    """A new key, written complete to a private file and then linked into place, so that two
    first builds at once agree on one key and nobody reads a half-written one."""
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    key = os.urandom(KEY_BYTES)
    temporary = folder / f".key.{os.getpid()}.{os.urandom(4).hex()}"
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW | getattr(os, "O_BINARY", 0)
    fd = os.open(temporary, flags, 0o600)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(key)
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(temporary, path)
        except FileExistsError:  # another build made it first: use that one
            return _read_key(path)
        return key
    finally:
        os.unlink(temporary)


def _mac(kind: str, name: str, record: dict) -> str:
    """The seal of a record stored under `name`: it covers every field, the PDF digest among
    them, and the name, so a record cannot be moved to vouch for another output or part."""
    body = json.dumps([kind, name, record], sort_keys=True, separators=(",", ":"))
    return hmac.new(secret(), body.encode("utf-8"), hashlib.sha256).hexdigest()


def _sealed(kind: str, name: str, record: dict) -> str:
    return json.dumps({**record, "mac": _mac(kind, name, record)}, indent=1)


def _unsealed(kind: str, name: str, data: bytes | None) -> dict | None:
    """The record in `data` if it is a JSON object sealed with our key, else None."""
    if data is None:
        return None
    try:
        record = json.loads(data)
        if not isinstance(record, dict):
            return None
        mac = record.pop("mac", None)
        if isinstance(mac, str) and hmac.compare_digest(mac, _mac(kind, name, record)):
            return record
    except (ValueError, RecursionError):  # not JSON, not UTF-8, nested too deep
        pass
    return None


def _open(path: Path, limit: int | None):
    """A regular file opened without following a symbolic link in its last component or
    blocking on a FIFO, if it holds at most `limit` bytes; else None."""
    from build_report.safe_open import open_regular

    try:
        return open_regular(path, limit)
    except (OSError, ValueError):
        return None


def _read(path: Path, limit: int) -> bytes | None:
    """The bytes of a regular file of at most `limit` bytes (see `_open`), else None."""
    handle = _open(path, limit)
    if handle is None:
        return None
    try:
        with handle:
            data = handle.read(limit + 1)
    except OSError:
        return None
    return data if len(data) <= limit else None


def _sha(path: Path, limit: int | None = None) -> str | None:
    """The SHA-256 of a regular file (see `_open`), read in blocks; None when it cannot be
    read, is not a regular file, or grows beyond `limit`."""
    handle = _open(path, limit)
    if handle is None:
        return None
    sha, size = hashlib.sha256(), 0
    try:
        with handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                size += len(block)
                if limit is not None and size > limit:
                    return None
                sha.update(block)
    except OSError:
        return None
    return sha.hexdigest()


def _inside(root: Path, name: str) -> Path | None:
    """The real path of the project-relative `name`, if it stays inside the project."""
    if not name or Path(name).is_absolute():
        return None
    try:
        real = (root / name).resolve()
    except (OSError, RuntimeError, ValueError):
        return None
    return real if root in real.parents else None


def _relative(root: Path, paths: Iterable[Path | str]) -> list[str] | None:
    """The project-relative names of these files, or None if one lies outside the project
    (the gatekeeper never serves one: such a list cannot be vouched for)."""
    names = set()
    for path in paths:
        real = Path(path).resolve()
        if root not in real.parents:
            return None
        names.add(real.relative_to(root).as_posix())
    return sorted(names)


def _input_sha(root: Path, name: str, limit: int | None = MAX_INPUT_BYTES) -> str | None:
    """The digest of a project file: never of a file outside the project, a device, a FIFO,
    or one larger than the gatekeeper would load."""
    real = _inside(root, name)
    return None if real is None else _sha(real, limit)


def _cache_folder(folder: Path, *sub: str, create: bool = False) -> Path | None:
    """folder/.cache (or a folder under it) if every step is a real folder, never a symbolic
    link (a committed link would send our writes and our pruning elsewhere); made when
    `create`. None when it is missing or refused: the cache is then not used."""
    path = folder
    if create:
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError:
            return None
    for name in (CACHE_DIR, *sub):
        path = path / name
        try:
            if create and not os.path.lexists(path):
                path.mkdir(exist_ok=True)
            if not stat.S_ISDIR(os.lstat(path).st_mode):
                return None
        except OSError:
            return None
    return path


def _library_versions() -> str:
    """The libraries whose upgrade can change an output without touching our code: the
    Markdown parser and its plugins, the sanitizer, the emoji table, the font reader."""
    from importlib import metadata

    names = ("markdown-it-py", "mdit-py-plugins", "nh3", "emoji", "fonttools", "pypdf", "pyphen")
    names += ("pygments", "ziamath", "ziafont", "latex2mathml")  # code and math drawing
    names += ("citeproc-py",)  # formats citations and lists of sources
    found = []
    for name in names:
        try:
            found.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            found.append(f"{name} -")
    return "\n".join(found)


@cache
def tool_fingerprint() -> str:
    """The version plus the bytes of the package itself (an edited template invalidates), and
    the versions of the engine and of the Pango it lays text out with (an upgrade of either
    can move every line)."""
    from build_report.pdf.internals import engine_version, pango_version

    package = Path(__file__).parent
    sha = hashlib.sha256(__version__.encode())
    sha.update(f"weasyprint {engine_version()} pango {pango_version()}".encode())
    sha.update(_library_versions().encode())
    for path in sorted(package.rglob("*")):
        if path.suffix in (".py", ".jinja", ".csl") and path.is_file():
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
    """report.toml, everything under chapters/ (chapters, and images beside them), and the
    bibliography files and citation style that [references] names."""
    files = [root / "report.toml"]
    chapters = root / "chapters"
    if chapters.is_dir():
        files += sorted(p for p in chapters.rglob("*") if p.is_file())
    return files + reference_files(root)


def reference_files(root: Path) -> list[Path]:
    """The files [references] names, inside the project (the builds refuse the others)."""
    import tomllib

    try:
        table = tomllib.loads((root / "report.toml").read_text(encoding="utf-8"))["references"]
        named = table.get("bibliography", [])
        named = [named] if isinstance(named, str) else list(named)
        named.append(table.get("style", ""))
    except (
        OSError,
        UnicodeDecodeError,
        tomllib.TOMLDecodeError,
        KeyError,
        TypeError,
        AttributeError,
    ):
        return []
    real = root.resolve()
    found = [_inside(real, n) for n in named if isinstance(n, str) and n.endswith(EXTENSIONS)]
    return [path for path in found if path is not None and path.is_file()]


def _options_key(kind: str, options) -> str:
    fields = {k: str(v) for k, v in sorted(asdict(options).items()) if k not in ("check",)}
    fields["project"] = str(Path(options.project).resolve())
    return hashlib.sha256(json.dumps([kind, fields]).encode()).hexdigest()


def _entry_name(kind: str, options) -> str:
    """Not secret: the seal, not the name, is what a stranger cannot make (a keyed name
    would leave a new record behind whenever the key is the in-memory one)."""
    return f"{kind}-{_options_key(kind, options)[:32]}.json"


def snapshot(root: Path) -> dict[str, str]:
    """The sources as they are now, name -> digest: taken when a build starts, so that a
    chapter saved while the build runs is not recorded as what the output was made from
    (the next build would then call a stale output "up to date")."""
    root = root.resolve()
    names = [p.relative_to(root).as_posix() for p in source_files(root)]
    return {name: _input_sha(root, name, None) or "missing" for name in names}


def _key(root: Path, inputs: list[str], sources: dict[str, str] | None = None) -> str:
    """The sources (read whole: they are the project's own; or as `snapshot` found them when
    the build started) and the recorded inputs (read as the gatekeeper would), each by its
    project-relative name."""
    sha = hashlib.sha256()
    sha.update(tool_fingerprint().encode())
    sha.update(_clock_key().encode())
    for name, digest in (sources if sources is not None else snapshot(root)).items():
        sha.update(f"{name}\n{digest}\n".encode())
    for name in inputs:
        sha.update(f"{name}\n{_input_sha(root, name, MAX_INPUT_BYTES) or 'missing'}\n".encode())
    return sha.hexdigest()


def _is_list_of_str(value: object) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


def _is_count(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _output_record(record: dict | None) -> bool:
    """Whether a sealed record has the fields `store` writes, of the right types."""
    return (
        record is not None
        and all(isinstance(record.get(k), str) for k in ("key", "output", "sha256", "shown"))
        and _is_list_of_str(record.get("inputs"))
        and all(record.get(k) is None or _is_count(record.get(k)) for k in ("pages", "files"))
    )


def lookup(folder: Path, root: Path, kind: str, options) -> dict | None:
    """The recorded result when the output can be reused, else None (also for a record that
    is missing, corrupted, forged, or behind a symbolic link)."""
    root = root.resolve()
    cache_folder = _cache_folder(folder)
    if cache_folder is None:
        return None
    name = _entry_name(kind, options)
    record = _unsealed("output", name, _read(cache_folder / name, MAX_RECORD_BYTES))
    if not _output_record(record):
        return None
    if _sha(Path(record["output"])) != record["sha256"]:
        return None
    if _key(root, record["inputs"]) != record["key"]:
        return None
    return record


def store(
    folder: Path,
    root: Path,
    kind: str,
    options,
    output: Path,
    inputs,
    sources: dict[str, str] | None = None,
    **extra,
) -> None:
    """Record an output, sealed; nothing when its inputs cannot be vouched for or the cache
    folder is refused. `sources`: the `snapshot` taken when the build started."""
    from build_report.files import write_text

    root = root.resolve()
    names = _relative(root, inputs)
    cache_folder = _cache_folder(folder, create=True)
    digest = _sha(output)
    if names is None or cache_folder is None or digest is None:
        return
    own = {p.relative_to(root).as_posix() for p in source_files(root)}
    names = [n for n in names if n not in own]
    record = {
        "key": _key(root, names, sources),
        "inputs": names,
        "output": str(output.resolve()),
        "sha256": digest,
        **extra,
    }
    name = _entry_name(kind, options)
    write_text(cache_folder / name, _sealed("output", name, record))


class PartStore:
    """The parts of chapter-parallel builds (parallel.py), kept so that an edit to one chapter
    lays out that chapter's part only.

    A part is found by a keyed hash (`secret`) of the tool and of its HTML (which holds the
    chapters' text, the options and everything the part shows), so its name cannot be
    computed by anyone else; it is reused only when its sealed record vouches for the PDF's
    bytes and every file it loaded (stylesheets, fonts, images) is unchanged too. Parts carry
    no page numbers, so a part is reusable wherever it falls in the book. The least recently
    used go beyond `limit`.
    """

    def __init__(self, folder: Path, root: Path, limit: int = PART_LIMIT) -> None:
        self.output_folder = folder
        self.root = root.resolve()
        self.limit = limit
        self._hashes: dict[str, str | None] = {}

    def _name(self, html: str) -> str:
        body = f"part\0{tool_fingerprint()}\0{html}".encode()
        return hmac.new(secret(), body, hashlib.sha256).hexdigest()[:40]

    def _inputs_key(self, inputs: list[str]) -> str | None:
        """The digest of the part's inputs, or None when one cannot be read as an input."""
        sha = hashlib.sha256()
        for name in inputs:
            if name not in self._hashes:
                self._hashes[name] = _input_sha(self.root, name)
            if self._hashes[name] is None:
                return None
            sha.update(f"{name}\n{self._hashes[name]}\n".encode())
        return sha.hexdigest()

    def get(self, html: str):
        """The rendered part (pdf.adapter.Rendered), or None when it must be laid out."""
        from build_report.pdf.adapter import Rendered

        folder = _cache_folder(self.output_folder, "parts")
        if folder is None:
            return None
        name = self._name(html)
        record = _unsealed("part", name, _read(folder / f"{name}.json", MAX_RECORD_BYTES))
        if not _part_record(record):
            return None
        data = _read(folder / f"{name}.pdf", record["size"])
        if data is None or hashlib.sha256(data).hexdigest() != record["sha256"]:
            return None
        inputs_key = self._inputs_key(record["inputs"])
        if inputs_key is None or inputs_key != record["inputs_key"]:
            return None
        with contextlib.suppress(OSError):
            os.utime(folder / f"{name}.json", follow_symlinks=False)  # recently used
        inputs = tuple(self.root / n for n in record["inputs"])
        starts = tuple(record.get("starts") or ())  # where its pages start: pages/record.py
        clean = tuple(tuple(start) for start in record.get("clean") or ())
        levels = record.get("levels")
        levels = None if levels is None else tuple(levels)
        return Rendered(data, record["pages"], [], inputs, starts, clean, levels)

    def put(self, html: str, rendered) -> None:
        """Keep a part that rendered without warnings (one with warnings is built again, so
        that its warnings are shown again), and whose inputs are project files we can read."""
        from build_report.files import write_bytes, write_text

        if rendered.diagnostics:
            return
        inputs = _relative(self.root, rendered.inputs)
        inputs_key = None if inputs is None else self._inputs_key(inputs)
        folder = _cache_folder(self.output_folder, "parts", create=True)
        if inputs is None or inputs_key is None or folder is None:
            return
        name = self._name(html)
        write_bytes(folder / f"{name}.pdf", rendered.data)
        record = {
            "pages": rendered.pages,
            "size": len(rendered.data),
            "sha256": hashlib.sha256(rendered.data).hexdigest(),
            "inputs": inputs,
            "inputs_key": inputs_key,
        }
        if getattr(rendered, "starts", ()):
            record["starts"] = list(rendered.starts)
        if getattr(rendered, "clean", ()):
            record["clean"] = [list(start) for start in rendered.clean]
        if getattr(rendered, "levels", None) is not None:
            record["levels"] = list(rendered.levels)
        write_text(folder / f"{name}.json", _sealed("part", name, record))
        _prune(folder, self.limit)


def _part_record(record: dict | None) -> bool:
    """Whether a sealed part record has the fields `PartStore.put` writes, of the right types."""
    return (
        record is not None
        and _is_count(record.get("pages"))
        and _is_count(record.get("size"))
        and isinstance(record.get("sha256"), str)
        and isinstance(record.get("inputs_key"), str)
        and _is_list_of_str(record.get("inputs"))
        and isinstance(record.get("starts", []), list)
        and all(isinstance(start, dict) for start in record.get("starts", []))
        and all(_is_clean(start) for start in _list(record.get("clean", [])))
        and all(_is_count(level) for level in _list(record.get("levels", [])))
    )


def _list(value) -> list:
    """`value` if it is a list, else a list no check passes (a record that is not ours)."""
    return value if isinstance(value, list) else [None]


def _is_clean(start) -> bool:
    """(element index, page, tag): a page that starts cleanly (internals.Pagination)."""
    return (
        isinstance(start, list)
        and len(start) == 3
        and _is_count(start[0])
        and _is_count(start[1])
        and isinstance(start[2], str)
    )


def _prune(folder: Path, limit: int) -> None:
    """Delete the least recently used parts beyond `limit`: only regular files named as ours
    (a hash and .json or .pdf), only in `folder`, never through a symbolic link."""
    used = []
    try:
        with os.scandir(folder) as entries:
            for entry in entries:
                stem, _, suffix = entry.name.partition(".")
                if suffix == "json" and PART_NAME.fullmatch(stem):
                    info = entry.stat(follow_symlinks=False)
                    if stat.S_ISREG(info.st_mode):
                        used.append((info.st_mtime, stem))
    except OSError:
        return
    for _, stem in sorted(used, reverse=True)[limit:]:
        for suffix in (".json", ".pdf"):
            _remove_ours(folder / f"{stem}{suffix}")


def _remove_ours(path: Path) -> None:
    with contextlib.suppress(OSError):
        if stat.S_ISREG(os.lstat(path).st_mode):
            path.unlink()
