"""`build-report preview`: serve the book on 127.0.0.1, rebuild on every change, reload the page.

The reload script is added by the server as it sends a page: it is never in any output file.
A failed rebuild shows its error in the page and in the terminal, and the server keeps running.
"""

from __future__ import annotations

import html
import http.server
import mimetypes
import shutil
import tempfile
import threading
from pathlib import Path
from urllib.parse import unquote, urlsplit

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


class Preview:
    """Builds into a private folder and serves it; `rebuild` is called on every change."""

    def __init__(self, project: Path, print_mode: bool = False, edition: str = "student"):
        self.project = project
        self.print_mode = print_mode
        self.edition = edition
        self.folder = Path(tempfile.mkdtemp(prefix="build-report-preview-"))
        self.version = 0
        self.error: str | None = None
        self.lock = threading.Lock()

    def rebuild(self) -> None:
        from build_report.commands.build import load_book, prepare
        from build_report.project.config import load_config
        from build_report.writers import Options, writer

        try:
            config = load_config(self.project)
            options = Options(project=self.project, edition=self.edition)
            book = prepare(load_book(config), options)
            if self.print_mode:
                from build_report.html.documents import print_document

                page = print_document(book)
                with self.lock:
                    (self.folder / "print.html").write_text(page, encoding="utf-8")
            else:
                html = writer("html")
                target = self.folder / "html"
                result = html.write(html.prepare(book, Options(output=target)))
                for diagnostic in result.diagnostics:
                    click.echo(diagnostic.format(), err=True)
            error = None
        except BuildError as exc:
            error = exc.format_message()
            click.echo(f"Error: {error}", err=True)
        with self.lock:
            self.error = error
            self.version += 1
        if error is None:
            click.echo(f"rebuilt ({self.version})", err=True)

    def close(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)

    def start_page(self) -> str:
        return "/" if self.print_mode else "/index.xhtml"

    def resolve(self, path: str) -> Path | None:
        """A served path -> a file: the preview build first, then project files (styles,
        images) through the same gatekeeper as a build."""
        from build_report.resources import ProjectResources

        relative = unquote(path).lstrip("/")
        if self.print_mode and relative in ("", "index.html"):
            return self.folder / "print.html"
        base = self.folder if self.print_mode else self.folder / "html"
        candidate = (base / relative).resolve()
        if base.resolve() in candidate.parents and candidate.is_file():
            return candidate
        if self.print_mode:
            try:
                return ProjectResources(self.project).check(
                    (self.project / relative).resolve().as_uri()
                )
            except PermissionError:
                return None
        return None


def _handler(preview: Preview):
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's API
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
            file = preview.resolve(path)
            if file is None:
                return self._send(404, b"not found", "text/plain")
            data = file.read_bytes()
            kind = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
            if file.suffix == ".xhtml":
                kind = "application/xhtml+xml"
            if is_page:
                data = data.replace(b"</body>", reload_script(version).encode() + b"</body>", 1)
            return self._send(200, data, kind)

        def _send(self, code: int, data: bytes, kind: str) -> None:
            self.send_response(code)
            self.send_header("Content-Type", kind)
            self.send_header("Cache-Control", "no-store")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args) -> None:
            pass

    return Handler


def make_server(preview: Preview, port: int | None) -> http.server.ThreadingHTTPServer:
    """Bind 127.0.0.1 only; the default port, or a free one when it is taken."""
    handler = _handler(preview)
    try:
        return http.server.ThreadingHTTPServer(("127.0.0.1", port or DEFAULT_PORT), handler)
    except OSError:
        if port:
            raise BuildError(
                f"--port {port}", "the port is in use", "choose another port"
            ) from None
        return http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)


def watch(preview: Preview, stop: threading.Event) -> None:
    """Rebuild whenever chapters/, styles/ or report.toml change."""
    from watchfiles import watch as changes

    paths = [
        p
        for p in (
            preview.project / "chapters",
            preview.project / "styles",
            preview.project / "report.toml",
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
