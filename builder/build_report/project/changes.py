"""`--since REV`: what changed in the chapters since a git revision (a pure Book -> Book step).

Each chapter is compared with its file at the revision, block by block: the shown text of its
paragraphs, list items and headings (markup and line breaks aside, so rewrapping a paragraph
is no change), matched with difflib. Changed and added blocks get the class `changed` (a
change bar in print and on screen) and an id; the Book carries the list of changes, which
the "What changed" page prints with the page of each. A chapter added or removed counts.

Git runs as a subprocess, never through a shell: the revision is checked first (no leading
`-`, no spaces or control characters) and resolved with `rev-parse --verify`; only the
chapters' paths inside the project are read (`git show REV:./chapters/x.md`).
"""

from __future__ import annotations

import dataclasses
import difflib
import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from build_report.errors import BuildError
from build_report.project.model import Book, Chapter

MAX_OLD_BYTES = 5_000_000
GIT_SECONDS = 30
REVISION = re.compile(r"[^\s\x00-\x1f\x7f:]{1,200}")
BLOCKS = ("paragraph_open", "heading_open")


@dataclass(frozen=True)
class Change:
    """One passage in the "What changed" list."""

    kind: str  # "added", "removed" or "changed"
    chapter: int  # the chapter's number (in the new book; the old one's for a removed chapter)
    title: str  # the chapter's title
    excerpt: str  # the passage's first words
    anchor: str = ""  # the id to link to and print the page of ("": none, a removed chapter)


@dataclass(frozen=True)
class Block:
    text: str
    index: int  # the token to mark (the paragraph's, its list item's, the heading's)


def since(book: Book, revision: str) -> Book:
    """`book` with its changes since `revision` marked, and listed in `book.changes`."""
    git = Git(book.root, revision)
    old_files = git.chapter_files()
    changes: list[Change] = []
    chapters = []
    serial = [0]
    for chapter in book.chapters:
        old_text = git.text(chapter.source) if chapter.source in old_files else None
        marked, found = _compare(chapter, old_text, serial)
        chapters.append(marked)
        changes += found
    current = {ch.source for ch in book.all_chapters}
    for number, path in enumerate(sorted(old_files), start=1):
        if path not in current:
            text = git.text(path)
            title = _old_title(text, path)
            first = blocks(_parsed(text, "removed"))
            changes.append(
                Change("removed", number, title, excerpt(first[0].text) if first else "")
            )
    shown = revision if git.commit.startswith(revision) else f"{revision} ({git.commit[:10]})"
    return dataclasses.replace(book, chapters=tuple(chapters), changes=tuple(changes), since=shown)


def _compare(
    chapter: Chapter, old_text: str | None, serial: list[int]
) -> tuple[Chapter, list[Change]]:
    """The chapter with its changed passages marked, and their list. `serial` numbers the
    ids given across the book (an id is unique in the one print document)."""
    tokens = list(chapter.tokens)
    new = blocks(tokens)
    if old_text is None:  # a chapter added since: every passage new, listed once
        for block in new:
            tokens[block.index] = _marked(tokens[block.index], "")
        first = excerpt(new[0].text) if new else ""
        change = Change("added", chapter.number, chapter.title, first, chapter.anchor)
        return dataclasses.replace(chapter, tokens=tuple(tokens)), [change]
    old = blocks(_old_tokens(old_text, chapter))
    found: list[Change] = []

    def mark(block: Block, kind: str) -> None:
        token = tokens[block.index]
        ident = token.attrGet("id")
        if not ident:
            serial[0] += 1
            ident = f"change-{serial[0]}"
        tokens[block.index] = _marked(token, str(ident))
        found.append(Change(kind, chapter.number, chapter.title, excerpt(block.text), ident))

    def removed(block: Block, at: int) -> None:
        """A passage gone: listed with the page of what now stands in its place."""
        anchor = chapter.anchor
        if new:
            token = tokens[new[min(at, len(new) - 1)].index]
            anchor = str(token.attrGet("id") or "")
            if not anchor:
                serial[0] += 1
                anchor = f"change-{serial[0]}"
                tokens[new[min(at, len(new) - 1)].index] = token.copy(
                    attrs={**token.attrs, "id": anchor}
                )
        found.append(Change("removed", chapter.number, chapter.title, excerpt(block.text), anchor))

    matcher = difflib.SequenceMatcher(
        None, [b.text for b in old], [b.text for b in new], autojunk=False
    )
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            continue
        pairs = max(i2 - i1, j2 - j1)
        for k in range(pairs):
            gone = old[i1 + k] if i1 + k < i2 else None
            came = new[j1 + k] if j1 + k < j2 else None
            if came is not None:
                mark(came, "changed" if gone is not None else "added")
            elif gone is not None:
                removed(gone, j2)
    return dataclasses.replace(chapter, tokens=tuple(tokens)), found


def blocks(tokens: list) -> list[Block]:
    """The chapter's passages in order: (shown text, index of the token that carries the
    mark). A paragraph of a tight list is not printed as <p>: its list item carries it."""
    from build_report.markup.parser import body_tokens, plain_text

    found = []
    body = body_tokens(tokens)
    for i, token in enumerate(body):
        if token.type not in BLOCKS or i + 1 >= len(body) or body[i + 1].type != "inline":
            continue
        text = " ".join(plain_text(body[i + 1]).split())
        if not text:
            continue
        at = i
        if token.hidden:
            at = next((j for j in range(i - 1, -1, -1) if body[j].type == "list_item_open"), i)
        found.append(Block(text, at))
    return found


def _marked(token, ident: str):
    classes = " ".join(filter(None, [str(token.attrGet("class") or ""), "changed"]))
    attrs = {**token.attrs, "class": classes}
    if ident:
        attrs["id"] = ident
    return token.copy(attrs=attrs)


def excerpt(text: str, limit: int = 70) -> str:
    """The first words of a passage, cut at a word."""
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0]
    return cut.rstrip(",;:.") + "…"


def _old_tokens(text: str, chapter: Chapter) -> list:
    return _parsed(text, chapter.slug, chapter.env.get("language", ""))


def _parsed(text: str, slug: str, language: str = "") -> list:
    """A chapter file's tokens, as the loader parses its body (front matter aside)."""
    from build_report.markup.parser import parse
    from build_report.project.frontmatter import split_front_matter

    _, body, _ = split_front_matter(text)
    return parse(body, slug, language)[0]


def _old_title(text: str, path: str) -> str:
    from build_report.project.frontmatter import split_front_matter

    front, _, _ = split_front_matter(text)
    found = re.search(r"^title:\s*(.+)$", front or "", re.M)
    return found.group(1).strip().strip("\"'") if found else Path(path).stem


class Git:
    """The project's git repository at one revision, read through `git` subprocesses."""

    def __init__(self, root: Path, revision: str) -> None:
        self.root = root
        if not REVISION.fullmatch(revision) or revision.startswith("-"):
            raise BuildError(
                "--since", f"'{revision}' is not a revision", "give a commit, tag or branch name"
            )
        self.git = shutil.which("git")
        if self.git is None:
            raise BuildError("--since", "git is not installed", "install git, or drop --since")
        if self._run("rev-parse", "--is-inside-work-tree", check=False)[0] != 0:
            raise BuildError(
                "--since",
                f"{root} is not in a git repository",
                "build from a git checkout, or drop --since",
            )
        status, out = self._run("rev-parse", "--verify", "--quiet", f"{revision}^{{commit}}")
        if status != 0:
            raise BuildError(
                "--since", f"unknown revision '{revision}'", "give a commit, tag or branch"
            )
        self.commit = out.decode().strip()

    def _run(self, *args: str, check: bool = False) -> tuple[int, bytes]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
        env.update(GIT_TERMINAL_PROMPT="0", GIT_OPTIONAL_LOCKS="0", LC_ALL="C")
        argv = [str(self.git), "-c", "core.fsmonitor=false", "-C", str(self.root), *args]
        try:
            done = subprocess.run(
                argv, capture_output=True, env=env, timeout=GIT_SECONDS, check=False
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise BuildError("--since", f"git failed ({exc})", "check the repository") from None
        return done.returncode, done.stdout

    def chapter_files(self) -> set[str]:
        """The chapters folder's Markdown files at the revision (paths like the Chapter's)."""
        status, out = self._run("ls-tree", "-z", "--name-only", self.commit, "--", "chapters/")
        if status != 0:
            return set()
        names = [n for n in out.decode("utf-8", "replace").split("\0") if n]
        return {n for n in names if n.endswith(".md") and n.count("/") == 1}

    def text(self, path: str) -> str:
        """A chapter's text at the revision (`path` as the Chapter names it)."""
        status, out = self._run("show", f"{self.commit}:./{path}")
        if status != 0:
            return ""
        return out[:MAX_OLD_BYTES].decode("utf-8", "replace")
