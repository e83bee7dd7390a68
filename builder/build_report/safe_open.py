"""Read a file inside the project with the check and the read in one open.

Checking a path (`resolve()`, "is it inside the project?") and then reading it by name leaves a
window: a component swapped for a symlink in between makes the read follow it out of the
project. Here every component below the root is opened with O_NOFOLLOW, relative to the
folder opened just before it, and the bytes come from that same descriptor: a swap either
fails the open or is not seen at all.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import BinaryIO

_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_DIRECTORY = getattr(os, "O_DIRECTORY", 0)
_NONBLOCK = getattr(os, "O_NONBLOCK", 0)  # a FIFO swapped in must not block the open
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)


class NotInside(PermissionError):
    """The file left the project, is not a regular file, or changed while being opened."""


def open_inside(root: Path, relative: Path | str) -> int:
    """A read-only descriptor of `root / relative`, opened without following any symlink below
    `root` (the root itself is the user's own folder and may be a link).

    `relative` must already be free of `..` and symlinks: it is the checked, project-relative
    path. Raises NotInside when a component is (now) a symlink, or the file is not regular."""
    parts = Path(relative).parts
    if not parts or any(part in ("", ".", "..") or os.sep in part for part in parts):
        raise NotInside(f"{relative}: not a plain path inside the project")
    folder = os.open(root, os.O_RDONLY | _DIRECTORY | _CLOEXEC)
    try:
        for part in parts[:-1]:
            inner = _step(folder, part, os.O_RDONLY | _DIRECTORY | _NOFOLLOW | _CLOEXEC)
            os.close(folder)
            folder = inner
        fd = _step(folder, parts[-1], os.O_RDONLY | _NOFOLLOW | _NONBLOCK | _CLOEXEC)
    finally:
        os.close(folder)
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise NotInside(f"{relative}: not a regular file")
    return fd


def _step(folder: int, name: str, flags: int) -> int:
    """Open `name` in the open `folder` (which stays open: the caller closes it)."""
    try:
        return os.open(name, flags, dir_fd=folder)
    except OSError as exc:
        # ELOOP (a symlink under O_NOFOLLOW), ENOTDIR (a link or file where a folder was)
        raise NotInside(f"{name}: changed while being opened ({exc.strerror})") from None


def read_inside(root: Path, relative: Path | str, limit: int) -> bytes:
    """The bytes of `root / relative` (see `open_inside`), at most `limit` of them: a file that
    is larger raises NotInside rather than being read into memory."""
    fd = open_inside(root, relative)
    with os.fdopen(fd, "rb") as handle:
        if os.fstat(handle.fileno()).st_size > limit:
            raise NotInside(f"{relative}: larger than {limit} bytes")
        data = handle.read(limit + 1)
    if len(data) > limit:
        raise NotInside(f"{relative}: larger than {limit} bytes")
    return data


def open_regular(path: Path, limit: int | None = None) -> BinaryIO:
    """`path` opened for reading if it is a regular file itself, of at most `limit` bytes:
    never through a symbolic link in its last component, never a device or a pipe (opened
    without blocking, so a FIFO cannot hang the build). For files of our own that anyone may
    have replaced in a committed `build/`: SHA256SUMS, cache records and parts."""
    fd = os.open(path, os.O_RDONLY | _NOFOLLOW | _NONBLOCK | _CLOEXEC)
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode) or (limit is not None and info.st_size > limit):
        os.close(fd)
        raise NotInside(f"{path}: not a regular file of at most {limit} bytes")
    return os.fdopen(fd, "rb")
