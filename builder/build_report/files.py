"""The only module that writes outputs: temporary file beside the target, fsync, rename."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from build_report.errors import BuildError

OUTPUT_SUFFIXES = {".pdf", ".epub", ".html", ".xhtml"}


def check_target(path: Path, root: Path) -> None:
    """Refuse to overwrite a source of the project (a chapter, a style, the config, .git), or
    any existing file that is not an output of ours."""
    resolved = path.resolve()
    root = root.resolve()
    sources = [root / "report.toml", root / "chapters", root / "styles", root / ".git"]
    for source in sources:
        if resolved == source or source in resolved.parents:
            raise BuildError(
                path,
                "output would overwrite a source file of the project",
                "choose an output path outside chapters/ and styles/",
            )
    if resolved.is_file() and resolved.suffix.lower() not in OUTPUT_SUFFIXES:
        raise BuildError(
            path,
            "output would overwrite a file that build-report did not write",
            "choose another output path",
        )


def output_folder(root: Path, name: str) -> Path:
    """The default output folder; it may not lead outside the project (through a symbolic link
    or `..`) unless the user names an output path with -o."""
    folder = root / name
    inside = folder.resolve()
    base = root.resolve()
    if inside != base and base not in inside.parents:
        raise BuildError(
            name,
            "the output folder leads outside the project",
            "remove the link, or name the output explicitly with -o PATH",
        )
    return folder


@contextlib.contextmanager
def atomic_writer(path: Path) -> Iterator[BinaryIO]:
    """Yield a file to write; on success it replaces `path` at once, on failure it vanishes.

    A failed or interrupted build therefore never leaves a half-written output, and the
    previous output stays byte-identical.
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise BuildError(
            path.parent, f"cannot create the folder: {exc.strerror}", "choose another output path"
        ) from None
    fd, tmp = tempfile.mkstemp(
        prefix=f".{path.stem}.", suffix=f".tmp{path.suffix}", dir=path.parent
    )
    os.close(fd)
    try:
        with open(tmp, "wb") as handle:  # noqa: PTH123 - its .name is the path, for checkers
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except OSError as exc:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise BuildError(
            path,
            f"could not write: {exc.strerror or exc}",
            "free some disk space or choose another output path",
        ) from None
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def write_bytes(path: Path, data: bytes) -> None:
    with atomic_writer(path) as handle:
        handle.write(data)


def write_text(path: Path, text: str) -> None:
    write_bytes(path, text.encode("utf-8"))


SUMS = "SHA256SUMS"


def _digest(path: Path) -> str:
    import hashlib

    sha = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            sha.update(block)
    return sha.hexdigest()


def update_sums(folder: Path, outputs: list[Path]) -> None:
    """Record the outputs of this run in `folder/SHA256SUMS` (`sha256sum -c` format).

    Entries of earlier runs stay while their files exist, so the file always lists every
    output in the folder; a folder output (html/) is listed file by file.
    """
    folder = folder.resolve()
    sums = folder / SUMS
    entries: dict[str, str] = {}
    if sums.is_file():
        for line in sums.read_text(encoding="utf-8").splitlines():
            digest, _, name = line.partition("  ")
            if name and (folder / name).is_file():
                entries[name] = digest
    for output in outputs:
        output = output.resolve()
        if folder not in output.parents:
            continue  # written elsewhere with -o: not part of this folder's list
        paths = sorted(p for p in output.rglob("*") if p.is_file()) if output.is_dir() else [output]
        for path in paths:
            entries[path.relative_to(folder).as_posix()] = _digest(path)
    if entries:
        text = "".join(f"{digest}  {name}\n" for name, digest in sorted(entries.items()))
        write_text(sums, text)


def swap_folder(new: Path, folder: Path) -> None:
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
