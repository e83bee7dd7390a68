"""The only module that writes outputs: temporary file beside the target, fsync, rename.

It also decides what an output may replace. A file is ours when this user's record of
written outputs (kept outside every project, see `remember`) or the SHA256SUMS of a folder
inside the project lists it with its current digest; a folder is ours when it holds our
marker file. Anything else is refused, so a mistyped -o never costs the user a file.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import shutil
import stat
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from build_report.errors import BuildError
from build_report.safe_open import open_regular

OUTPUT_SUFFIXES = {".pdf", ".epub", ".html", ".xhtml"}
SUMS = "SHA256SUMS"
MARKER = ".build-report"  # in every folder output we make: only such folders are replaced
MARKER_TEXT = "This folder was written by build-report; the next build replaces it whole.\n"
FULL = "free some disk space (or inodes) or choose another output path"


def real_path(path: Path) -> Path:
    """Where `path` points, with `..` and its parent folders' links resolved but the last
    part kept as named: a link there is replaced, never written through."""
    absolute = Path(os.path.abspath(path))
    return absolute.parent.resolve() / absolute.name if absolute.name else absolute


def check_target(path: Path, root: Path, *, force: bool = False) -> None:
    """Refuse an output path that would overwrite a source of the project (a chapter, a
    style, the config, .git), replace the project's own folder or one of its ancestors, or
    replace a file or folder we did not write (a file only with `force`)."""
    target = real_path(path)
    root = root.resolve()
    _refuse_sources(path, target.resolve(), root)
    _refuse_project_folder(path, target.resolve(), root)
    _refuse_foreign(path, target, root, force)


def _refuse_sources(path: Path, resolved: Path, root: Path) -> None:
    sources = [root / "report.toml", root / "chapters", root / "styles", root / ".git"]
    for source in sources:
        if resolved == source or source in resolved.parents:
            raise BuildError(
                path,
                "output would overwrite a source file of the project",
                "choose an output path outside chapters/ and styles/",
            )


def _refuse_project_folder(path: Path, resolved: Path, root: Path) -> None:
    if resolved == root or resolved in root.parents or _holds_project(resolved):
        raise BuildError(
            path,
            "output would replace a folder that holds the project",
            "choose an output folder of its own, e.g. -o build/html",
        )


def _holds_project(folder: Path) -> bool:
    """A project's folder has a report.toml (a chapters/ alone is not one: html/ copies
    chapters/img/ for its images)."""
    return os.path.lexists(folder / "report.toml")


def _refuse_foreign(path: Path, target: Path, root: Path, force: bool) -> None:
    """What already exists at `target` must be ours: a folder with our marker (or empty), a
    regular file we wrote (or any output-like file, with --force); never a device or pipe."""
    try:
        mode = os.lstat(target).st_mode
    except FileNotFoundError:
        return
    except OSError as exc:
        raise BuildError(
            path, f"cannot inspect the output: {exc.strerror}", "choose another path"
        ) from None
    if stat.S_ISDIR(mode):
        _refuse_foreign_folder(path, target, root)
    elif stat.S_ISLNK(mode):
        if target.suffix.lower() not in OUTPUT_SUFFIXES:
            raise BuildError(
                path,
                "output would replace a symbolic link that build-report did not make",
                "choose another output path",
            )
        if not force:
            raise BuildError(
                path,
                "output is a symbolic link; build-report writes only files of its own",
                "choose another output path, or pass --force to replace the link (not its target)",
            )
    elif not stat.S_ISREG(mode):
        raise BuildError(
            path,
            "output is a device, pipe or socket, not a file",
            "write to a regular file and copy it from there",
        )
    elif target.suffix.lower() not in OUTPUT_SUFFIXES:
        raise BuildError(
            path,
            "output would overwrite a file that build-report did not write",
            "choose another output path",
        )
    elif not force and not written_by_us(target, root):
        raise BuildError(
            path,
            "output would overwrite a file that build-report did not write",
            "choose another output path, or pass --force to replace it",
        )


def _refuse_foreign_folder(shown: Path | str, folder: Path, root: Path | None = None) -> None:
    """Only a folder we made (our marker, or every file listed in the SHA256SUMS beside it, as
    folders of earlier versions are) or an empty one may be replaced."""
    if folder.is_symlink() or not folder.is_dir():
        raise BuildError(shown, "exists and is not a folder", "remove it or choose another -o")
    if _holds_project(folder):
        raise BuildError(
            shown, "output would replace a folder that holds a project", "choose another -o"
        )
    if (folder / MARKER).is_file() or not any(folder.iterdir()) or _listed_folder(folder, root):
        return
    raise BuildError(
        shown,
        f"is a folder that build-report did not make (no {MARKER} in it), and would be replaced",
        "choose another output folder with -o, or empty it yourself",
    )


def output_folder(root: Path, name: str) -> Path:
    """The default output folder; it may not lead outside the project (through a symbolic link
    or `..`) unless the user names an output path with -o, and it must be a folder."""
    folder = root / name
    inside = folder.resolve()
    base = root.resolve()
    if inside != base and base not in inside.parents:
        raise BuildError(
            name,
            "the output folder leads outside the project",
            "remove the link, or name the output explicitly with -o PATH",
        )
    if folder.exists() and not folder.is_dir():
        raise BuildError(
            name,
            "the output folder is a file",
            "set [build] output_dir in report.toml to a folder, or move the file away",
        )
    return folder


def make_folder(folder: Path) -> None:
    """Create the folder an output goes into; a file in the way is one line for the user."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise BuildError(folder, "is a file, not a folder", "choose another output path") from None
    except OSError as exc:
        raise BuildError(
            folder, f"cannot create the folder: {exc.strerror}", "choose another output path"
        ) from None


def _refuse_special(path: Path) -> None:
    """Never replace a device node, pipe or socket (as root, `-o /dev/null` would be gone)."""
    with contextlib.suppress(OSError):
        mode = os.lstat(path).st_mode
        if not (stat.S_ISREG(mode) or stat.S_ISLNK(mode) or stat.S_ISDIR(mode)):
            raise BuildError(
                path,
                "output is a device, pipe or socket, not a file",
                "write to a regular file and copy it from there",
            )


def _discard(tmp: str | None) -> None:
    if tmp is not None:
        with contextlib.suppress(OSError):
            os.unlink(tmp)


@contextlib.contextmanager
def atomic_writer(path: Path) -> Iterator[BinaryIO]:
    """Yield a file to write; on success it replaces `path` at once, on failure it vanishes.

    A failed or interrupted build therefore never leaves a half-written output, and the
    previous output stays byte-identical. Every OSError on the way (no space, no inodes, no
    permission) is one line for the user.
    """
    make_folder(path.parent)
    _refuse_special(path)
    tmp: str | None = None
    try:
        fd, tmp = tempfile.mkstemp(
            prefix=f".{path.stem}.", suffix=f".tmp{path.suffix}", dir=path.parent
        )
        os.close(fd)
        with open(tmp, "wb") as handle:  # noqa: PTH123 - its .name is the path, for checkers
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except OSError as exc:
        _discard(tmp)
        raise BuildError(path, f"could not write: {exc.strerror or exc}", FULL) from None
    except BaseException:
        _discard(tmp)
        raise


def write_bytes(path: Path, data: bytes) -> None:
    with atomic_writer(path) as handle:
        handle.write(data)


def write_text(path: Path, text: str) -> None:
    write_bytes(path, text.encode("utf-8"))


MAX_SUMS_BYTES = 4 * 1024 * 1024


def _digest(path: Path) -> str:
    sha = hashlib.sha256()
    with open_regular(path) as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            sha.update(block)
    return sha.hexdigest()


def _sums(folder: Path) -> dict[str, str]:
    """name -> digest from `folder/SHA256SUMS`; an unreadable, garbled, oversized or linked
    file lists nothing."""
    entries: dict[str, str] = {}
    with contextlib.suppress(OSError), open_regular(folder / SUMS) as handle:
        text = handle.read(MAX_SUMS_BYTES + 1).decode("utf-8", errors="replace")
        if len(text) > MAX_SUMS_BYTES:
            return {}
        for line in text.splitlines():
            digest, _, name = line.partition("  ")
            if name:
                entries[name] = digest
    return entries


def _matches(path: Path, digest: str | None) -> bool:
    try:
        return digest is not None and path.is_file() and _digest(path) == digest
    except OSError:
        return False


def _listed_folder(folder: Path, root: Path | None = None) -> bool:
    """Every file of `folder` is in the SHA256SUMS beside it, unchanged: a folder output of a
    version that wrote no marker. Only a SHA256SUMS inside the project vouches (one elsewhere,
    say beside ~/docs/photos, may be anyone's)."""
    parent = folder.resolve().parent
    if root is None or (parent != root.resolve() and root.resolve() not in parent.parents):
        return False
    entries = _sums(folder.parent)
    found = [p for p in folder.rglob("*") if not p.is_dir()]
    return bool(found) and all(
        _matches(p, entries.get(p.relative_to(folder.parent).as_posix())) for p in found
    )


def written_by_us(path: Path, root: Path) -> bool:
    """The file at `path` is what we last wrote there: this user's record says so, or the
    SHA256SUMS of its folder inside the project does (a SHA256SUMS elsewhere may be anyone's)."""
    path = real_path(path)
    if _matches(path, _recorded(path)):
        return True
    folder = path.parent
    if folder != root and root not in folder.parents:
        return False
    return _matches(path, _sums(folder).get(path.name))


def _records() -> Path | None:
    """This user's record of written outputs, outside every project (a project cannot vouch
    for files): $XDG_STATE_HOME/build-report/written, one small file per output path."""
    base = os.environ.get("XDG_STATE_HOME")
    try:
        state = Path(base) if base else Path.home() / ".local" / "state"
    except RuntimeError:  # no home folder
        return None
    return state / "build-report" / "written"


def _record_name(path: Path) -> str:
    return hashlib.sha256(os.fsencode(path)).hexdigest()


def _recorded(path: Path) -> str | None:
    records = _records()
    if records is None:
        return None
    try:
        return (records / _record_name(path)).read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        return None


def remember(path: Path) -> None:
    """Record that the file at `path` is ours, with its digest, so the next build may replace
    it. Best effort: without a writable home, the next build asks for --force."""
    records = _records()
    if records is None:
        return
    path = real_path(path)
    with contextlib.suppress(OSError, BuildError):
        records.mkdir(parents=True, exist_ok=True)
        write_text(records / _record_name(path), _digest(path) + "\n")


def update_sums(folder: Path, outputs: list[Path]) -> None:
    """Record the outputs of this run in `folder/SHA256SUMS` (`sha256sum -c` format).

    Entries of earlier runs stay while their files exist, so the file always lists every
    output in the folder; a folder output (html/) is listed file by file.
    """
    folder = folder.resolve()
    entries = {name: d for name, d in _sums(folder).items() if (folder / name).is_file()}
    try:
        for output in outputs:
            output = output.resolve()
            if folder not in output.parents:
                continue  # written elsewhere with -o: not part of this folder's list
            found = (
                sorted(p for p in output.rglob("*") if p.is_file()) if output.is_dir() else [output]
            )
            for path in found:
                entries[path.relative_to(folder).as_posix()] = _digest(path)
    except OSError as exc:
        raise BuildError(
            folder / SUMS, f"could not list the outputs: {exc.strerror}", FULL
        ) from None
    if entries:
        text = "".join(f"{digest}  {name}\n" for name, digest in sorted(entries.items()))
        write_text(folder / SUMS, text)


@contextlib.contextmanager
def folder_writer(folder: Path, root: Path | None = None) -> Iterator[Path]:
    """Yield an empty staging folder beside `folder`; on success it takes `folder`'s place in
    one step (swap_folder), on failure it vanishes. Every OSError is one line for the user."""
    folder = real_path(folder)
    make_folder(folder.parent)
    staging: Path | None = None
    try:
        staging = Path(
            tempfile.mkdtemp(prefix=f".{folder.name}.", suffix=".tmp", dir=folder.parent)
        )
        yield staging
        swap_folder(staging, folder, root)
    except OSError as exc:
        raise BuildError(folder, f"could not write: {exc.strerror or exc}", FULL) from None
    finally:
        if staging is not None:  # after an exchange it holds the old folder
            shutil.rmtree(staging, ignore_errors=True)


def swap_folder(new: Path, folder: Path, root: Path | None = None) -> None:
    """Put `new` (marked as ours) where `folder` is, which must be ours too.

    At every instant one complete folder is in place: on Linux the two are exchanged in one
    rename (renameat2 RENAME_EXCHANGE), and `new` then holds the old folder for the caller to
    remove. Elsewhere the old folder is renamed aside first, and a build interrupted between
    the two renames is repaired by the next one. A lock on the parent folder serialises
    concurrent builds.
    """
    os.chmod(new, 0o755)
    (new / MARKER).write_text(MARKER_TEXT, encoding="utf-8")
    with _locked(folder.parent):
        old = folder.with_name(f".{folder.name}.old")
        _restore(old, folder)
        if not os.path.lexists(folder):
            os.rename(new, folder)
            return
        _refuse_foreign_folder(folder, folder, root)
        if _exchange(new, folder):
            return
        shutil.rmtree(old, ignore_errors=True)
        os.rename(folder, old)
        os.rename(new, folder)
        shutil.rmtree(old, ignore_errors=True)


def _restore(old: Path, folder: Path) -> None:
    """A build stopped between the two renames left only `.name.old`: put it back."""
    if not os.path.lexists(folder) and (old / MARKER).is_file() and not old.is_symlink():
        os.rename(old, folder)


@contextlib.contextmanager
def _locked(folder: Path) -> Iterator[None]:
    """An exclusive flock on `folder` itself (no lock file left behind), where flock exists."""
    try:
        import fcntl
    except ImportError:
        yield
        return
    fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # releases the lock


RENAME_EXCHANGE = 2
AT_FDCWD = -100


def _exchange(first: Path, second: Path) -> bool:
    """Swap two folders atomically; False where the system or file system cannot."""
    if not sys.platform.startswith("linux"):
        return False
    import ctypes

    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):
        return False
    renameat2.argtypes = [
        ctypes.c_int,
        ctypes.c_char_p,
        ctypes.c_int,
        ctypes.c_char_p,
        ctypes.c_uint,
    ]
    result = renameat2(AT_FDCWD, os.fsencode(first), AT_FDCWD, os.fsencode(second), RENAME_EXCHANGE)
    if result == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP):
        return False
    raise OSError(code, os.strerror(code), str(second))
