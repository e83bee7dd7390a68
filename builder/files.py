"""The only module that writes outputs: temporary file beside the target, fsync, rename."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from builder.errors import BuildError


def check_target(path: Path, root: Path) -> None:
    """Refuse to overwrite a source of the project (a chapter, a style, the config)."""
    resolved = path.resolve()
    sources = [root / "report.toml", root / "chapters", root / "styles"]
    for source in sources:
        source = source.resolve()
        if resolved == source or source in resolved.parents:
            raise BuildError(
                path,
                "output would overwrite a source file of the project",
                "choose an output path outside chapters/ and styles/",
            )


@contextlib.contextmanager
def atomic_writer(path: Path) -> Iterator[BinaryIO]:
    """Yield a file to write; on success it replaces `path` at once, on failure it vanishes.

    A failed or interrupted build therefore never leaves a half-written output, and the
    previous output stays byte-identical.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
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
