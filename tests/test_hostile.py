"""Hostile projects: whatever a chapter, stylesheet or config tries, the build reads nothing
outside the project, sends nothing to the network, changes nothing outside its output folder,
and ends in a one-line error (never a traceback).

Each case sets up a project, runs a command, and then the same checks run for every case:
exit code, the file named in the message, no traceback, no canary bytes from outside the
project in any output (PDF streams inflated, EPUB entries unzipped), no request received by a
loopback HTTP server that the content points at, and no file changed outside the output folder.
"""

from __future__ import annotations

import hashlib
import http.server
import os
import shutil
import threading
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from PIL import Image
from pypdf import PdfReader

from tests.conftest import MINIMAL_TOML, REPO, Project, inflated

CANARY = "CANARY-7f3a9c1e"


class _Recorder(http.server.BaseHTTPRequestHandler):
    requests: list[str] = []

    def do_GET(self) -> None:  # noqa: N802 - the http.server API
        type(self).requests.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "text/css")
        self.end_headers()
        self.wfile.write(f"/* {CANARY} */".encode())

    def log_message(self, *args) -> None:
        pass


@pytest.fixture(scope="module")
def server():
    """A loopback HTTP server that records every request (and answers with canary bytes)."""
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    httpd.timeout = 2
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.1})
    thread.daemon = True
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


@dataclass
class Ctx:
    book: Project
    outside: Path
    url: str  # the loopback server

    def chapter(self, body: str, front: str = "title: Hostile") -> None:
        self.book.write("chapters/01-first.md", f"---\n{front}\n---\n\n{body}\n")

    def css(self, extra: str) -> None:
        """Put `extra` first in print.css (where an @import must stand)."""
        path = self.book.root / "styles" / "print.css"
        path.write_text(extra + "\n" + path.read_text())


@dataclass
class Case:
    name: str
    setup: Callable[[Ctx], list[str] | None]  # returns extra CLI args
    code: int
    names: str | None  # what the error line must name
    command: str = "pdf"


def _snapshot(root: Path, skip: list[Path]) -> dict[str, str]:
    out = {}
    for path in sorted(root.rglob("*")):
        if any(path == s or s in path.parents for s in skip):
            continue
        if path.is_symlink():
            out[str(path)] = "link:" + os.readlink(path)
        elif path.is_file():
            out[str(path)] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


def _output_bytes(folder: Path) -> list[tuple[Path, bytes]]:
    found = []
    if folder.is_symlink():  # the build refused it; do not follow it ourselves
        return found
    for path in folder.rglob("*") if folder.exists() else []:
        if not path.is_file():
            continue
        data = path.read_bytes()
        if path.suffix == ".pdf":
            data = inflated(path)
            try:
                text = "".join(p.extract_text() for p in PdfReader(path).pages)
            except Exception:  # noqa: BLE001 - a broken PDF is caught by other checks
                text = ""
            data += text.encode()
        elif path.suffix == ".epub":
            with zipfile.ZipFile(path) as archive:
                data = b"".join(archive.read(n) for n in archive.namelist())
        found.append((path, data))
    return found


def png(path: Path, size=(37, 23)) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", size, (200, 10, 10)).save(path)


# ---------------------------------------------------------------------------- the cases


def _alias_bomb(ctx: Ctx) -> None:
    lines = ["title: Bomb", 'a: &a ["x","x","x","x","x","x","x","x","x"]']
    for i in range(1, 9):
        prev = chr(ord("a") + i - 1)
        name = chr(ord("a") + i)
        lines.append(f"{name}: &{name} [*{prev},*{prev},*{prev},*{prev},*{prev},*{prev}]")
    ctx.chapter("Body", "\n".join(lines))


def _symlink(ctx: Ctx, link: str, target: Path) -> None:
    path = ctx.book.root / link
    path.parent.mkdir(parents=True, exist_ok=True)
    path.symlink_to(target)


CASES = [
    # config
    Case(
        "unknown-key",
        lambda c: c.book.write("report.toml", MINIMAL_TOML + "titel = 'x'\n"),
        1,
        "report.toml:4",
    ),
    Case(
        "toml-syntax",
        lambda c: c.book.write("report.toml", "[report\ntitle = 1\n"),
        1,
        "report.toml:1",
    ),
    Case(
        "config-not-utf8",
        lambda c: (c.book.root / "report.toml").write_bytes(b"[report]\ntitle = '\xff'\n"),
        1,
        "report.toml",
    ),
    Case(
        "output-dir-outside",
        lambda c: c.book.write(
            "report.toml", MINIMAL_TOML + "[build]\noutput_dir = '../outside/o'\n"
        ),
        1,
        "../outside/o",
    ),
    Case(
        "stylesheet-outside",
        lambda c: c.book.write(
            "report.toml", MINIMAL_TOML + "[build]\nprint_css = '../outside/canary.css'\n"
        ),
        1,
        "report.toml",
    ),
    Case(
        "page-limit",
        lambda c: c.book.write("report.toml", MINIMAL_TOML + "[build]\nmax_pages = 2\n"),
        1,
        "report.toml",
    ),
    # front matter
    Case("yaml-alias-bomb", _alias_bomb, 1, "chapters/01-first.md:"),
    Case(
        "yaml-duplicate-key",
        lambda c: c.chapter("Body", "title: A\ntitle: B"),
        1,
        "chapters/01-first.md:3",
    ),
    Case(
        "yaml-python-tag",
        lambda c: c.chapter("Body", "title: !!python/object/apply:os.system ['touch /tmp/x']"),
        1,
        "chapters/01-first.md",
    ),
    Case(
        "yaml-wrong-type", lambda c: c.chapter("Body", "title: {a: 1}"), 1, "chapters/01-first.md:2"
    ),
    Case(
        "yaml-unclosed",
        lambda c: c.book.write("chapters/01-first.md", "---\ntitle: x\n"),
        1,
        "chapters/01-first.md:1",
    ),
    # Markdown and raw HTML
    Case(
        "image-dotdot",
        lambda c: c.chapter("![x](../../outside/canary.png)"),
        1,
        "chapters/01-first.md",
    ),
    Case(
        "image-absolute",
        lambda c: c.chapter(f"![x]({c.outside}/canary.png)"),
        1,
        "chapters/01-first.md",
    ),
    Case(
        "image-file-url",
        lambda c: c.chapter(f"![x](file://{c.outside}/canary.png)"),
        1,
        "chapters/01-first.md:5",
    ),  # refused by name (it used to stay text, and the build passed in silence)
    Case(
        "image-percent-encoded",
        lambda c: c.chapter("![x](%2e%2e/%2e%2e/outside/canary.png)"),
        1,
        "chapters/01-first.md",
    ),
    # a remote image is a placeholder and a warning (an error under --strict), never a request
    Case("image-network", lambda c: c.chapter(f"![x]({c.url}/a.png)"), 0, None),
    Case(
        "image-network-strict",
        lambda c: c.chapter(f"![x]({c.url}/a.png)") or ["--strict"],
        1,
        "chapters/01-first.md:5",
    ),
    Case("raw-img-network", lambda c: c.chapter(f'<img src="{c.url}/b.png" alt="b">'), 0, None),
    Case(
        "raw-link-stylesheet",
        lambda c: c.chapter(f'<link rel="stylesheet" href="{c.url}/c.css">\n\nText'),
        0,
        None,
    ),
    Case(
        "raw-iframe-object-embed",
        lambda c: c.chapter(
            f'<iframe src="{c.url}/i"></iframe><object data="{c.url}/o">'
            f'</object><embed src="{c.url}/e">\n\nText'
        ),
        0,
        None,
    ),
    Case(
        "raw-script-handlers",
        lambda c: c.chapter('<script>fetch("x")</script><p onmouseover="x()">T</p>'),
        0,
        None,
    ),
    Case(
        "raw-attachment",
        lambda c: c.chapter('<a rel="attachment" href="../../outside/canary.txt">a</a>'),
        0,
        None,
    ),
    Case(
        "raw-base-meta-style",
        lambda c: c.chapter(
            f'<base href="{c.url}/"><meta http-equiv="refresh" content="0">'
            f'<style>@import url("{c.url}/s.css");</style>\n\n![x](a.png)'
        ),
        0,  # the missing a.png is a placeholder; nothing is requested
        None,
    ),
    Case(
        "raw-style-attribute",
        lambda c: c.chapter(f'<p style="background: url({c.url}/bg.png)">T</p>'),
        0,
        None,
    ),
    Case(
        "raw-form-svg",
        lambda c: c.chapter(
            f'<form action="{c.url}/f"><input></form>'
            f'<svg><image href="{c.url}/s.png"/></svg>\n\nText'
        ),
        0,
        None,
    ),
    Case(
        "template-injection",
        lambda c: c.chapter("{{ 7*7 }} {% for x in range(9) %}{{ cycler }}{% endfor %}"),
        0,
        None,
    ),
    Case(
        "raw-html-too-deep",
        lambda c: c.chapter("<div>" * 3000 + "x" + "</div>" * 3000),
        1,
        "chapters/01-first.md",
    ),
    # CSS
    Case(
        "css-import-outside",
        lambda c: c.css('@import url("../../outside/canary.css");'),
        1,
        "styles/print.css",
    ),
    Case(
        "css-url-network",
        lambda c: c.css(f'body {{ background: url("{c.url}/bg.png"); }}'),
        1,
        "styles/print.css",
    ),
    Case(
        "css-font-outside",
        lambda c: c.css(
            f'@font-face {{ font-family: X; src: url("{c.outside}/canary.txt"); }}'
            " body { font-family: X; }"
        ),
        1,
        "styles/print.css",
    ),
    Case(
        "css-import-network",
        lambda c: c.css(f'@import url("{c.url}/i.css");'),
        1,
        "styles/print.css",
    ),
    Case(
        "css-absurd-breaks",
        lambda c: (
            c.css(".chapter-body p { break-before: page; font-size: 1e5px; }"),
            c.chapter("\n\n".join(f"Paragraph {n}." for n in range(60))),
            c.book.write("report.toml", MINIMAL_TOML + "[build]\nmax_pages = 30\n"),
        ),
        1,
        "report.toml",
    ),
    # images and assets
    Case(
        "symlinked-image-outside",
        lambda c: (
            _symlink(c, "chapters/img/x.png", c.outside / "canary.png"),
            c.chapter("![x](img/x.png)"),
        ),
        1,
        "chapters/01-first.md",
    ),
    Case(
        "image-in-git",
        lambda c: (png(c.book.root / ".git" / "secret.png"), c.chapter("![x](../.git/secret.png)")),
        1,
        "chapters/01-first.md",
    ),
    Case(
        "image-too-large",
        lambda c: (
            (c.book.root / "chapters" / "big.png").write_bytes(b"\0" * (21 << 20)),
            c.chapter("![x](big.png)"),
        ),
        1,
        "chapters/01-first.md",
    ),
    Case(
        "svg-image-loads-network-and-outside",
        lambda c: (
            (c.book.root / "chapters" / "evil.svg").write_text(
                '<svg xmlns="http://www.w3.org/2000/svg" '
                'xmlns:xlink="http://www.w3.org/1999/xlink" width="10" height="10">'
                f'<image xlink:href="{c.url}/svg.png" width="5" height="5"/>'
                '<image href="../../outside/canary.png" width="5" height="5"/></svg>'
            ),
            c.chapter("![an SVG](evil.svg)"),
        ),
        1,
        "chapters/evil.svg",
    ),
    Case(
        "epub-svg-with-references",
        lambda c: (
            (c.book.root / "chapters" / "evil.svg").write_text(
                '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
                '<image href="../../outside/canary.png" width="5" height="5"/></svg>'
            ),
            c.chapter("![an SVG](evil.svg)"),
        ),
        1,
        "chapters/evil.svg",
        "epub",
    ),
    Case(
        "svg-image-self-contained-is-fine",
        lambda c: (
            (c.book.root / "chapters" / "ok.svg").write_text(
                '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
                '<rect width="10" height="10" fill="#123"/></svg>'
            ),
            c.chapter("![a square](ok.svg)"),
        ),
        0,
        None,
    ),
    # paths and symbolic links
    Case(
        "chapter-symlink-outside",
        lambda c: _symlink(c, "chapters/03-evil.md", c.outside / "canary.md"),
        1,
        "chapters/03-evil.md",
    ),
    Case(
        "chapters-dir-symlink",
        lambda c: (
            shutil.rmtree(c.book.root / "chapters"),
            _symlink(c, "chapters", c.outside / "chapters"),
        ),
        1,
        "chapters/",
    ),
    Case(
        "output-over-chapter",
        lambda c: ["-o", str(c.book.root / "chapters" / "01-first.md")],
        1,
        "01-first.md",
    ),
    Case(
        "output-over-config", lambda c: ["-o", str(c.book.root / "report.toml")], 1, "report.toml"
    ),
    Case("build-dir-symlink-outside", lambda c: _symlink(c, "build", c.outside), 1, "build"),
    Case(
        "output-parent-is-a-file",
        lambda c: ["-o", str(c.book.root / "README" / "x.pdf")],
        1,
        "README",
    ),
    # sizes
    Case(
        "chapter-too-large", lambda c: c.chapter("word " * (450 * 1024)), 1, "chapters/01-first.md"
    ),
    Case("very-long-line-is-fine", lambda c: c.chapter("w" * 20000), 0, None),
    # encodings
    Case(
        "chapter-not-utf8",
        lambda c: (c.book.root / "chapters" / "01-first.md").write_bytes(
            b"---\ntitle: a\n---\n\xc3("
        ),
        1,
        "chapters/01-first.md:4",
    ),
    Case(
        "chapter-utf16",
        lambda c: (c.book.root / "chapters" / "01-first.md").write_bytes(
            "---\ntitle: a\n---\nhi".encode("utf-16")
        ),
        1,
        "chapters/01-first.md",
    ),
    Case(
        "nul-bytes-are-fine",
        lambda c: (c.book.root / "chapters" / "01-first.md").write_bytes(
            b"---\ntitle: a\n---\nnul \x00 byte"
        ),
        0,
        None,
    ),
    # the EPUB writer goes through the same gatekeeper
    Case(
        "epub-image-outside",
        lambda c: c.chapter("![x](../../outside/canary.png)"),
        1,
        "chapters/01-first.md",
        "epub",
    ),
    Case(
        "epub-css-outside",
        lambda c: (c.book.root / "styles" / "screen.css").write_text(
            '@import url("../../outside/canary.css");'
        ),
        1,
        "styles/screen.css",
        "epub",
    ),
    Case(
        "html-image-network",
        lambda c: c.chapter(f"![x]({c.url}/h.png)"),
        0,
        None,
        "html",
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_hostile_project(case: Case, tmp_path: Path, server: str) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "canary.txt").write_text(CANARY)
    (outside / "canary.css").write_text(f'/* {CANARY} */ html::before {{ content: "{CANARY}"; }}')
    (outside / "canary.md").write_text(f"---\ntitle: {CANARY}\n---\n\n{CANARY}\n")
    (outside / "chapters").mkdir()
    (outside / "chapters" / "01-x.md").write_text(f"---\ntitle: {CANARY}\n---\n\n{CANARY}\n")
    png(outside / "canary.png")
    root = tmp_path / "book"
    root.mkdir()
    shutil.copytree(REPO / "styles", root / "styles")
    (root / "README").write_text("not a folder")
    book = Project(root)
    book.write("report.toml", MINIMAL_TOML)
    book.write("chapters/01-first.md", "---\ntitle: First\n---\n\nHello.\n")
    book.write("chapters/02-second.md", "---\ntitle: Second\n---\n\nWorld.\n")
    ctx = Ctx(book, outside, server)
    extra = case.setup(ctx) or []
    extra = extra if isinstance(extra, list) else []
    out_dir = root / "build"
    before = _snapshot(tmp_path, [out_dir])
    _Recorder.requests.clear()

    result = book.build(case.command, *extra)

    output = result.output
    assert "Traceback" not in output, output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )
    assert result.exit_code == case.code, output
    if case.names:
        errors = [line for line in output.splitlines() if line.startswith("Error:")]
        assert len(errors) == 1 and case.names in errors[0], output
    assert _Recorder.requests == [], _Recorder.requests
    for path, data in _output_bytes(out_dir):
        assert CANARY.encode() not in data, path
        assert b"/Width 37" not in data or b"/Height 23" not in data, path
    after = _snapshot(tmp_path, [out_dir])
    assert after == before
    if case.code != 0 and out_dir.exists():  # a failed build leaves no temporary files
        assert not [p for p in out_dir.rglob("*") if ".tmp" in p.name]
