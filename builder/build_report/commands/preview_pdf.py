"""`build-report preview --pdf`: the print PDF, rebuilt on every change, shown in a page that
reloads it.

The engine stays loaded in a long-lived worker process, forked before the server starts any
thread (a process with threads may not fork: processes.py), so every rebuild skips Python's
start and WeasyPrint's import, and can itself fork its layout workers. Each rebuild is the
ordinary `pdf` build in its live form (Options.live): every chapter is a part of its own, kept
in the part store (cache.py), so an edit lays out again the part it touched (in a long chapter,
only its pages from the edit to where they meet the last layout again: pdf/live.py), the
footers only if page numbers moved, and the contents only if its numbers did. The PDF is
written to its usual place (build/<slug>.pdf) atomically, as every build writes it: a reader
never sees half a file, and a failed rebuild leaves the last good PDF in place.
"""

from __future__ import annotations

import html
import threading
import time
from pathlib import Path

import click

from build_report.commands.preview import (
    CONTENT_POLICY,
    VERSION_PATH,
    local_host,
    make_server,
    rebuild_failure,
    reload_script,
)
from build_report.errors import BuildError

PDF_PATH = "/book.pdf"
PAGE = (
    "<!DOCTYPE html><html><head><meta charset='utf-8'><title>{title}</title></head>"
    "<body style='margin:0;font-family:sans-serif'>{body}{script}</body></html>"
)
SHOWN = (
    "<iframe id='pdf' title='{title}' src='{path}?v={version}' "
    "style='border:0;width:100vw;height:100vh;display:block'></iframe>"
)
FAILED = (
    "<div style='padding:2em'><h1>The PDF could not be rebuilt</h1>"
    "<pre id='build-error' style='white-space:pre-wrap'>{error}</pre>"
    "<p>Fix the file and save: this page reloads by itself.</p></div>"
)


class Engine:
    """The worker process: builds the PDF when asked, with the engine loaded once."""

    def __init__(self, project: Path, edition: str) -> None:
        from build_report.processes import context

        ctx = context()
        self.pipe, theirs = ctx.Pipe()
        # not a daemon: a daemon may not start processes, and the builds start layout workers
        # (it dies with this process all the same: processes.die_with_parent)
        self.process = ctx.Process(target=_work, args=(theirs, project, edition))
        self.process.start()
        theirs.close()
        self.lock = threading.Lock()

    def build(self) -> tuple[Path | None, int | None, str | None]:
        """(the PDF, its pages, None) or (None, None, the error), one build at a time."""
        with self.lock:
            self.pipe.send("build")
            try:
                return self.pipe.recv()
            except EOFError:
                return None, None, rebuild_failure(RuntimeError("the PDF worker ended"))

    def close(self) -> None:
        if self.process.is_alive():
            self.process.kill()
        self.process.join()
        self.pipe.close()


def _work(pipe, project: Path, edition: str) -> None:
    """The worker's loop (module-level: a spawned process must find it)."""
    import os

    from build_report import console
    from build_report.commands.build import build
    from build_report.pdf.adapter import load_engine
    from build_report.processes import die_with_parent
    from build_report.writers import Options

    die_with_parent(os.getppid())
    console.current = console.Progress(quiet=True)  # the server's terminal says "rebuilt"
    load_engine()
    _warm_up(project)
    options = Options(project=project, edition=edition, live=True)
    on_book = False
    try:
        while pipe.recv() == "build":
            try:
                written = build("pdf", options)
                for diagnostic in written.diagnostics:
                    click.echo(diagnostic.format(), err=True)
                pipe.send((written.path, written.pages, None))
            except BuildError as exc:
                pipe.send((None, None, exc.format_message()))
                continue
            except Exception as exc:  # noqa: BLE001 - a bug of ours must not end the preview
                pipe.send((None, None, rebuild_failure(exc)))
                continue
            if not on_book:  # once, after the first PDF is out
                on_book = True
                _warm_up_on_book(options)
    except (EOFError, KeyboardInterrupt):
        pass


def _warm_up(project: Path) -> None:
    """Warm the engine in this process as every build's main process does
    (adapter.warm_up_project), so that each build forks its processes from a warm one and
    finds the warm-up done. A project whose config cannot be read yet is left to the first
    build to report."""
    from build_report.errors import BuildError
    from build_report.pdf.adapter import warm_up_project
    from build_report.project.config import load_config

    try:
        config = load_config(project)
    except (BuildError, OSError):  # the build will say what is wrong
        return
    warm_up_project(config)


def _warm_up_on_book(options) -> None:
    """Read and plan the book in this process, as each build's reading child does (Markdown
    and the templates loaded and compiled), and lay out its smallest chapter here
    (parallel.warm_up_on_book): every later build forks its reading child and its layout
    processes from this one, so each starts with all of that done, where a rebuild of the
    default briefing spent half its time on it. Whatever fails is the next build's to say."""
    import contextlib

    from build_report.commands.build import prepare_jobs
    from build_report.pdf.parallel import Plan, warm_up_on_book
    from build_report.project.config import load_config

    with contextlib.suppress(Exception):
        job = prepare_jobs(load_config(options.project), [("pdf", options)])[0]
        if isinstance(job.work, Plan):
            warm_up_on_book(job.work)


class LivePdf:
    """What the server shows: the last good PDF, or the last error, and their version."""

    def __init__(self, project: Path, edition: str) -> None:
        self.engine = Engine(project, edition)
        self.pdf: Path | None = None
        self.error: str | None = None
        self.version = 0
        self.lock = threading.Lock()

    def rebuild(self) -> None:
        started = time.perf_counter()
        path, pages, error = self.engine.build()
        with self.lock:
            if path is not None:
                self.pdf = path
            self.error = error
            self.version += 1
        if error is not None:
            click.echo(f"Error: {error}", err=True)
        else:
            took = time.perf_counter() - started
            click.echo(f"rebuilt {path.name} ({pages} pages, {took:.2f} s)", err=True)

    def page(self) -> bytes:
        with self.lock:
            version, error, pdf = self.version, self.error, self.pdf
        title = html.escape(pdf.name if pdf else "build-report")
        if error is not None:
            body = FAILED.format(error=html.escape(error))
        else:
            body = SHOWN.format(title=title, path=PDF_PATH, version=version)
        return PAGE.format(title=title, body=body, script=reload_script(version)).encode()

    def pdf_bytes(self) -> bytes | None:
        with self.lock:
            pdf = self.pdf
        try:
            return pdf.read_bytes() if pdf is not None else None
        except OSError:
            return None


def _handler(live: LivePdf):
    import http.server
    from urllib.parse import urlsplit

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's API
            if not local_host(self.headers.get("Host"), self.server.server_address[1]):
                return self._send(403, b"preview: unknown Host header", "text/plain")
            path = urlsplit(self.path).path
            if path == VERSION_PATH:
                return self._send(200, str(live.version).encode(), "text/plain")
            if path in ("/", "/index.html"):
                return self._send(200, live.page(), "text/html; charset=utf-8")
            if path == PDF_PATH:
                data = live.pdf_bytes()
                if data is not None:
                    return self._send(200, data, "application/pdf")
            return self._send(404, b"not found", "text/plain")

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


def watch(project: Path, live: LivePdf, stop: threading.Event) -> None:
    """Rebuild whenever chapters/, styles/ or report.toml change (build/ is not watched: the
    PDF written there must not start another build)."""
    from watchfiles import watch as changes

    paths = [
        p for p in (project / "chapters", project / "styles", project / "report.toml") if p.exists()
    ]
    for _ in changes(*paths, stop_event=stop, debounce=200, step=20):
        live.rebuild()


def serve_pdf(project: Path, port: int | None, edition: str) -> None:
    """Serve until Ctrl-C, in one scratch folder for the session (processes.scratch_folder):
    the worker's builds share it, and the fonts loaded in it; it goes when the server ends,
    whatever became of the worker."""
    from build_report.processes import scratch_folder

    with scratch_folder():
        _serve_pdf(project, port, edition)


def _serve_pdf(project: Path, port: int | None, edition: str) -> None:
    live = LivePdf(project, edition)  # the worker is forked before any thread starts
    try:
        live.rebuild()
        server = make_server(live, port, _handler(live))
    except BaseException:
        live.engine.close()
        raise
    stop = threading.Event()
    watcher = threading.Thread(target=watch, args=(project, live, stop), daemon=True)
    watcher.start()
    host, bound = server.server_address[:2]
    click.echo(f"Serving http://{host}:{bound}/ (the PDF, reloaded on change; Ctrl-C to stop)")
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        stop.set()
        server.server_close()
        live.engine.close()
