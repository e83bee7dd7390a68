"""`init` and `new`: start a project, add a chapter."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

from build_report.errors import BuildError

SKELETON = Path(__file__).parent.parent / "skeleton"


def init_project(folder: Path, title: str, author: str) -> list[Path]:
    """A new project that builds as it is: report.toml, two sample chapters, default styles."""
    if (folder / "report.toml").exists():
        raise BuildError(
            folder / "report.toml", "a project already exists here", "choose an empty folder"
        )
    if folder.exists() and any(p for p in folder.iterdir() if not p.name.startswith(".")):
        raise BuildError(folder, "the folder is not empty", "choose a new or empty folder")
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "report.toml").write_text(_report_toml(title, author), encoding="utf-8")
    shutil.copytree(SKELETON / "chapters", folder / "chapters")
    shutil.copytree((SKELETON / "styles").resolve(), folder / "styles")
    (folder / ".gitignore").write_text("build/\n", encoding="utf-8")
    return [folder / "report.toml", folder / "chapters", folder / "styles"]


def _report_toml(title: str, author: str) -> str:
    """The skeleton's report.toml with this title and author, written by a TOML writer (so
    any text, quotes and new lines included, comes out as valid TOML); its comments kept."""
    import tomllib

    import tomli_w

    text = (SKELETON / "report.toml").read_text(encoding="utf-8")
    data = tomllib.loads(text)
    data["report"].update(title=title, author=author)
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
    folder.mkdir(exist_ok=True)
    numbers = [int(m.group(1)) for p in folder.glob("*.md") if (m := re.match(r"(\d+)", p.name))]
    number = max(numbers, default=0) + 1
    path = folder / f"{number:02d}-{slugify(title)}.md"
    if path.exists():
        raise BuildError(path, "already exists", "choose another title")
    quoted = json.dumps(title, ensure_ascii=False)  # a JSON string is a YAML string
    path.write_text(f"---\ntitle: {quoted}\n---\n\n", encoding="utf-8")
    return path
