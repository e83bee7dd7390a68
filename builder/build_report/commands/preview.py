"""`build-report preview`: serve the book on 127.0.0.1, rebuild on every change, reload the page.

The reload script is added by the server as it sends a page: it is never in any output file.
A failed rebuild shows its error in the page and in the terminal, and the server keeps running.
"""

from __future__ import annotations

import html
import http.server
import mimetypes
import re
import shutil
import tempfile
import threading
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

import click

from build_report.errors import BuildError

VERSION_PATH = "/__build_report__/version"
RELOAD_SCRIPT = (
    "<script>/* build-report preview: reloads on change; never in built files */"
    "(function(){var seen='VERSION';setInterval(function(){"
    f"fetch('{VERSION_PATH}',{{cache:'no-store'}}).then(function(r){{return r.text();}})"
    ".then(function(v){if(v!==seen){location.reload();}})"
    ".catch(function(){});},400);})();</script>"
)


def reload_script(version: int) -> str:
    """The script knows the version of the page it is in, so no change can slip past it."""
    return RELOAD_SCRIPT.replace("VERSION", str(version))


DEFAULT_PORT = 8765
LOCAL_HOSTS = ("127.0.0.1", "localhost", "[::1]")
PAGE_BASE = "http://preview.invalid/"  # served paths are resolved as the browser does
CSS_REFS = re.compile(r"""@import\s+["']([^"']+)["']|url\(\s*["']?([^"')]+?)["']?\s*\)""")


# What a page may load from the project: styles, fonts, images. A chapter's `![x](../.env)`
# or `<img src="answers.md">` names a file, but the preview serves it only if it is one of
# these (the builds would refuse to show it anyway).
PAGE_MEDIA = {".css", ".ttf", ".otf", ".woff", ".woff2"} | {
    ".png",
    ".jpg",
    ".jpeg",
    ".gif",
    ".webp",
    ".svg",
    ".avif",
}
# The browser loads nothing from elsewhere either: the builds load no network resource
# without --allow-network, and the preview of a stranger's chapter must not.
CONTENT_POLICY = (
    "default-src 'self'; img-src 'self' data:; font-src 'self' data:; "
    "style-src 'self' 'unsafe-inline'; script-src 'self' 'unsafe-inline'; connect-src 'self'"
)


def local_host(header: str | None, port: int) -> bool:
    """Whether a request's Host header names this server on the loopback address.

    A web page can point a name of its own at 127.0.0.1 (DNS rebinding) and read the preview
    as same-origin: its requests then carry that name, which this refuses."""
    if not header:
        return False
    header = header.strip().lower()
    host, given = (header, "") if header.endswith("]") else header.rpartition(":")[::2]
    if not host:  # no colon: a bare name, the default port
        host, given = header, ""
    return host in LOCAL_HOSTS and (given == str(port) or (given == "" and port == 80))


def rebuild_failure(exc: Exception) -> str:
    """A bug of ours, met while rebuilding, as one line: the preview keeps running."""
    first = (str(exc).strip().splitlines() or [""])[0][:200]
    what = f"{type(exc).__name__}: {first}" if first else type(exc).__name__
    return BuildError(
        "preview",
        f"the rebuild failed ({what})",
        "fix the source and save (the preview keeps watching); if it persists, report a bug",
    ).format_message()


def page_resources(page: str, root: Path) -> set[Path]:
    """Every project file the print page loads: its stylesheets, images and fonts, and what
    those import in turn, as the gatekeeper serves them. Only these are served in --print
    mode: never chapters, report.toml, `.env` or anything else in the project."""
    from lxml import html as lxml_html

    from build_report.resources import ProjectResources, svg_references

    resources = ProjectResources(root)
    queue = [urljoin(PAGE_BASE, ref) for ref in _html_refs(lxml_html.document_fromstring(page))]
    seen: set[str] = set()
    while queue:
        url = queue.pop(0).split("#")[0]
        relative = unquote(urlsplit(url).path).lstrip("/")
        if url in seen or not url.startswith(PAGE_BASE) or not relative:
            continue
        seen.add(url)
        try:
            data, mime = resources.read((root.resolve() / relative).as_uri())
        except PermissionError:
            continue
        if mime == "text/css":
            text = data.decode("utf-8", "replace")
            queue += [urljoin(url, a or b) for a, b in CSS_REFS.findall(text)]
        elif mime == "image/svg+xml":
            queue += [urljoin(url, ref) for ref in svg_references(data)]
    return set(resources.served)


def _html_refs(document) -> list[str]:
    """What an HTML page loads (links it only points at, <a href>, are not loaded)."""
    refs: list[str] = []
    for element in document.iter():
        if not isinstance(element.tag, str):
            continue
        tag = element.tag.rsplit("}", 1)[-1].lower()
        for name, value in element.attrib.items():
            name = name.rsplit("}", 1)[-1].lower()
            if name in ("src", "poster", "data") or (name == "href" and tag not in ("a", "area")):
                refs.append(value.strip())
            elif name == "style":
                refs += [a or b for a, b in CSS_REFS.findall(value)]
        if tag == "style" and element.text:
            refs += [a or b for a, b in CSS_REFS.findall(element.text)]
    return [ref for ref in refs if ref and not ref.startswith(("#", "data:"))]


class Preview:
    """Builds into a private folder and serves it; `rebuild` is called on every change."""

    def __init__(self, project: Path, print_mode: bool = False, edition: str = "student"):
        self.project = project
        self.print_mode = print_mode
        self.edition = edition
        self.folder = Path(tempfile.mkdtemp(prefix="build-report-preview-"))
        self.version = 0
        self.error: str | None = None
        self.needed: set[Path] = set()  # --print: the project files the page loads
        self.lock = threading.Lock()

    def rebuild(self) -> None:
        """Build once; any failure becomes the page's error, never the end of the watcher."""
        try:
            self._build()
            error = None
        except BuildError as exc:
            error = exc.format_message()
        except Exception as exc:  # noqa: BLE001 - a bug of ours must not end the preview
            error = rebuild_failure(exc)
        if error is not None:
            click.echo(f"Error: {error}", err=True)
        with self.lock:
            self.error = error
            self.version += 1
        if error is None:
            click.echo(f"rebuilt ({self.version})", err=True)

    def _build(self) -> None:
        from build_report.commands.build import load_book, prepare
        from build_report.project.config import load_config
        from build_report.writers import Options, writer

        config = load_config(self.project)
        options = Options(project=self.project, edition=self.edition)
        book = prepare(load_book(config), options)
        if self.print_mode:
            from build_report.html.documents import print_document

            page = print_document(book)
            needed = page_resources(page, self.project)
            with self.lock:
                (self.folder / "print.html").write_text(page, encoding="utf-8")
                self.needed = needed
        else:
            html = writer("html")
            target = self.folder / "html"
            result = html.write(html.prepare(book, Options(output=target)))
            for diagnostic in result.diagnostics:
                click.echo(diagnostic.format(), err=True)

    def close(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)

    def start_page(self) -> str:
        return "/" if self.print_mode else "/index.xhtml"

    def content(self, path: str) -> tuple[bytes, str] | None:
        """A served path -> its bytes and media type: a file of the preview build, or (in
        --print mode) a project file the page loads, read through the gatekeeper."""
        relative = unquote(path).lstrip("/")
        if self.print_mode and relative in ("", "index.html"):
            return self._built(self.folder / "print.html")
        base = self.folder if self.print_mode else self.folder / "html"
        candidate = (base / relative).resolve()
        if base.resolve() in candidate.parents and candidate.is_file():
            return self._built(candidate)
        if self.print_mode:
            return self._project_file(relative)
        return None

    def _built(self, file: Path) -> tuple[bytes, str]:
        kind = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
        if file.suffix == ".xhtml":
            kind = "application/xhtml+xml"
        return file.read_bytes(), kind

    def _project_file(self, relative: str) -> tuple[bytes, str] | None:
        from build_report.resources import ProjectResources

        real = (self.project / relative).resolve()
        with self.lock:
            needed = real in self.needed
        if not needed or real.suffix.lower() not in PAGE_MEDIA:
            return None  # what a chapter points at is served only if a page may load it
        try:
            return ProjectResources(self.project).read(real.as_uri())
        except PermissionError:
            return None


def _handler(preview: Preview):
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's API
            if not local_host(self.headers.get("Host"), self.server.server_address[1]):
                return self._send(403, b"preview: unknown Host header", "text/plain")
            path = urlsplit(self.path).path
            if path == VERSION_PATH:
                return self._send(200, str(preview.version).encode(), "text/plain")
            if path == "/" and not preview.print_mode:
                self.send_response(302)
                self.send_header("Location", preview.start_page())
                self.end_headers()
                return None
            is_page = path == "/" or path.endswith((".xhtml", ".html"))
            with preview.lock:
                error = preview.error
                version = preview.version
            if is_page and error is not None:
                body = (
                    "<!DOCTYPE html><html><head><meta charset='utf-8'><title>Build failed"
                    "</title></head><body style='font-family:sans-serif;padding:2em'>"
                    "<h1>The preview could not be rebuilt</h1>"
                    f"<pre id='build-error' style='white-space:pre-wrap'>{html.escape(error)}</pre>"
                    "<p>Fix the file and save: this page reloads by itself.</p>"
                    f"{reload_script(version)}</body></html>"
                )
                return self._send(500, body.encode(), "text/html; charset=utf-8")
            found = preview.content(path)
            if found is None:
                return self._send(404, b"not found", "text/plain")
            data, kind = found
            if is_page:
                data = data.replace(b"</body>", reload_script(version).encode() + b"</body>", 1)
            return self._send(200, data, kind)

        def _send(self, code: int, data: bytes, kind: str) -> None:
            self.send_response(code)
            self.send_header("Content-Type", kind)
            self.send_header("Cache-Control", "no-store")
            self.send_header("Content-Security-Policy", CONTENT_POLICY)
            self.send_header("X-Content-Type-Options", "nosniff")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args) -> None:
            pass

    return Handler


def make_server(preview, port: int | None, handler=None) -> http.server.ThreadingHTTPServer:
    """Bind 127.0.0.1 only; the default port, or a free one when it is taken. (`handler`:
    another page to serve, as preview --pdf does: preview_pdf.py.)"""
    handler = handler or _handler(preview)
    try:
        return http.server.ThreadingHTTPServer(("127.0.0.1", port or DEFAULT_PORT), handler)
    except OSError:
        if port:
            raise BuildError(
                f"--port {port}", "the port is in use", "choose another port"
            ) from None
        return http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)


def watch(preview: Preview, stop: threading.Event) -> None:
    """Rebuild whenever chapters/, styles/, report.toml or the bibliography change."""
    from watchfiles import watch as changes

    from build_report.cache import reference_files

    paths = [
        p
        for p in (
            preview.project / "chapters",
            preview.project / "styles",
            preview.project / "report.toml",
            *reference_files(preview.project),
        )
        if p.exists()
    ]
    for _ in changes(*paths, stop_event=stop, debounce=200, step=50):
        preview.rebuild()


def serve(project: Path, port: int | None, print_mode: bool, edition: str) -> None:
    preview = Preview(project, print_mode, edition)
    preview.rebuild()
    server = make_server(preview, port)
    stop = threading.Event()
    watcher = threading.Thread(target=watch, args=(preview, stop), daemon=True)
    watcher.start()
    host, bound = server.server_address[:2]
    click.echo(f"Serving http://{host}:{bound}{preview.start_page()} (Ctrl-C to stop)")
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        stop.set()
        server.server_close()
        preview.close()
