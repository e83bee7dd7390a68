"""`init` and `new`: start a project, add a chapter."""

from __future__ import annotations

import errno
import json
import os
import re
import shutil
import stat
from pathlib import Path

from build_report.errors import BuildError

SKELETON = Path(__file__).parent.parent / "skeleton"
IGNORED = "build/"
# Lines of a .gitignore that already keep build/ out of git.
IGNORES_BUILD = {"build", "build/", "/build", "/build/"}
# A chapter's file name stays far below the 255 bytes a file system allows.
MAX_SLUG = 60


def init_project(folder: Path, title: str, author: str, theme: str = "briefing") -> list[Path]:
    """A new project that builds as it is: report.toml, two sample chapters, default styles."""
    if (folder / "report.toml").exists():
        raise BuildError(
            folder / "report.toml", "a project already exists here", "choose an empty folder"
        )
    if folder.exists() and any(p for p in folder.iterdir() if not p.name.startswith(".")):
        raise BuildError(folder, "the folder is not empty", "choose a new or empty folder")
    folder.mkdir(parents=True, exist_ok=True)
    _ignore_build(folder)
    (folder / "report.toml").write_text(_report_toml(title, author, theme), encoding="utf-8")
    shutil.copytree(SKELETON / "chapters", folder / "chapters")
    shutil.copytree((SKELETON / "styles").resolve(), folder / "styles")
    return [folder / "report.toml", folder / "chapters", folder / "styles"]


def _ignore_build(folder: Path) -> None:
    """Add `build/` to the folder's .gitignore: merged into one that is there (its lines are
    the user's), and never written through a symbolic link, which could point at any file."""
    flags = os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
    try:
        fd = os.open(folder / ".gitignore", flags, 0o644)
    except OSError as exc:
        what = (
            "is a symbolic link"
            if exc.errno == errno.ELOOP
            else f"cannot be opened: {exc.strerror}"
        )
        raise BuildError(
            folder / ".gitignore", what, "make it a plain file, or remove it"
        ) from None
    with os.fdopen(fd, "r+b") as handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            raise BuildError(
                folder / ".gitignore", "is not a plain file", "make it a plain file, or remove it"
            )
        text = handle.read()
        lines = {line.strip() for line in text.decode("utf-8", "replace").splitlines()}
        if lines & IGNORES_BUILD:
            return
        handle.seek(0, os.SEEK_END)
        gap = b"\n" if text and not text.endswith(b"\n") else b""
        handle.write(gap + IGNORED.encode() + b"\n")


def _report_toml(title: str, author: str, theme: str) -> str:
    """The skeleton's report.toml with this title and author, written by a TOML writer (so
    any text, quotes and new lines included, comes out as valid TOML); its comments kept."""
    import tomllib

    import tomli_w

    text = (SKELETON / "report.toml").read_text(encoding="utf-8")
    data = tomllib.loads(text)
    data["report"].update(title=title, author=author)
    data["build"]["theme"] = theme
    comments = "".join(line + "\n" for line in text.splitlines() if line.startswith("#"))
    return comments + tomli_w.dumps(data)


def new_chapter(project: Path, title: str) -> Path:
    """The next numbered chapter file, with its front matter."""
    from build_report.markup.slugs import slugify

    folder = project / "chapters"
    if not (project / "report.toml").is_file():
        raise BuildError(
            "report.toml",
            "not a build-report project",
            "run it in a project folder, pass -C DIR, or run build-report init",
        )
    if not title.strip():
        raise BuildError("title", "the chapter title is empty", "give a title in quotes")
    _check_chapters_folder(project, folder)
    folder.mkdir(exist_ok=True)
    numbers = [int(m.group(1)) for p in folder.glob("*.md") if (m := re.match(r"(\d+)", p.name))]
    number = max(numbers, default=0) + 1
    slug = slugify(title)[:MAX_SLUG].rstrip("-")
    path = folder / f"{number:02d}-{slug}.md"
    quoted = json.dumps(title, ensure_ascii=False)  # a JSON string is a YAML string
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
    try:  # O_EXCL: a file or a symbolic link already there is never written through
        fd = os.open(path, flags, 0o644)
    except FileExistsError:
        raise BuildError(path, "already exists", "choose another title") from None
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(f"---\ntitle: {quoted}\n---\n\n")
    return path


def _check_chapters_folder(project: Path, folder: Path) -> None:
    """chapters/ may be a symbolic link, but not to outside the project: the new chapter
    would be written there."""
    base = project.resolve()
    if os.path.lexists(folder) and base not in folder.resolve().parents:
        raise BuildError(
            "chapters",
            "leads outside the project (a symbolic link)",
            "make chapters/ a folder inside the project",
        )
