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
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
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
