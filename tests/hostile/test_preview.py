"""The preview server under attack: DNS rebinding, project files it must not serve, and
rebuild errors that must not end it."""

from __future__ import annotations

import http.client
import threading
import time
from collections.abc import Iterator

import pytest
from build_report.commands import preview as pv

from tests.conftest import Project


@pytest.fixture
def serving(project: Project) -> Iterator[tuple[pv.Preview, int]]:
    """A print-mode preview of `project`, built once and served on a free port."""
    preview = pv.Preview(project.root, print_mode=True)
    preview.rebuild()
    server = pv.make_server(preview, 0)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1})
    thread.daemon = True
    thread.start()
    yield preview, server.server_address[1]
    server.shutdown()
    server.server_close()
    preview.close()


def get(port: int, path: str, host: str | None = None) -> int:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.putrequest("GET", path, skip_host=True)
        if host is not None:
            connection.putheader("Host", host)
        connection.endheaders()
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


@pytest.mark.parametrize(
    ("host", "status"),
    [
        ("127.0.0.1:{port}", 200),
        ("localhost:{port}", 200),
        ("LOCALHOST:{port}", 200),
        ("[::1]:{port}", 200),
        ("evil.example:{port}", 403),
        ("127.0.0.1.evil.example:{port}", 403),
        ("127.0.0.1:1", 403),
        ("127.0.0.1", 403),
        (None, 403),
    ],
)
def test_only_loopback_host_headers_are_answered(serving, host: str | None, status: int) -> None:
    """DNS rebinding: a page on evil.example pointed at 127.0.0.1 sends its own Host."""
    _, port = serving
    shown = host.format(port=port) if host else None
    assert get(port, pv.VERSION_PATH, shown) == status
    assert get(port, "/", shown) == status


def test_print_mode_serves_only_what_the_page_loads(project: Project, serving) -> None:
    project.write(".env", "SECRET=1\n")
    project.write("answers/key.md", "the teacher's answers\n")
    project.write("chapters/pic.svg", '<svg xmlns="http://www.w3.org/2000/svg"><rect/></svg>')
    project.write("chapters/01-first.md", "---\ntitle: First\n---\n\n![a](pic.svg)\n")
    preview, port = serving
    preview.rebuild()
    host = f"127.0.0.1:{port}"
    assert get(port, "/", host) == 200
    assert get(port, "/styles/print.css", host) == 200
    assert get(port, "/chapters/pic.svg", host) == 200
    for private in (
        "/.env",
        "/answers/key.md",
        "/chapters/01-first.md",
        "/chapters/02-second.md",
        "/report.toml",
        "/styles/../.env",
    ):
        assert get(port, private, host) == 404, private


def test_a_failure_that_is_not_a_build_error_keeps_the_preview(project: Project, monkeypatch):
    """A bug met while rebuilding is one line on the page and the console, and the next good
    save recovers (before: the exception ended the watcher thread for good)."""
    from build_report.commands import build

    real = build.load_book
    broken = [True]

    def load_book(config):
        if broken[0]:
            raise RuntimeError("boom\nwith a second line")
        return real(config)

    monkeypatch.setattr(build, "load_book", load_book)
    preview = pv.Preview(project.root)
    stop = threading.Event()
    watcher = threading.Thread(target=pv.watch, args=(preview, stop), daemon=True)
    try:
        preview.rebuild()
        assert preview.error is not None
        assert "RuntimeError: boom" in preview.error and "\n" not in preview.error
        watcher.start()
        time.sleep(0.5)  # let the watcher start watching
        project.write("chapters/01-first.md", "---\ntitle: First\n---\n\nStill broken.\n")
        assert _until(lambda: preview.version >= 2)
        assert preview.error is not None and watcher.is_alive()
        broken[0] = False
        project.write("chapters/01-first.md", "---\ntitle: First\n---\n\nRecovered.\n")
        assert _until(lambda: preview.error is None)
        assert "Recovered" in (preview.folder / "html" / "first.xhtml").read_text()
    finally:
        stop.set()
        if watcher.is_alive():
            watcher.join(timeout=10)
        preview.close()


def test_an_impossible_date_at_start_is_one_line(project: Project, capsys) -> None:
    project.write(
        "chapters/01-first.md",
        "---\ntitle: First\ntimeline:\n  - date: 2017-02-30\n    event: x\n---\n\nText.\n",
    )
    project.write("report.toml", '[report]\ntitle = "T"\nauthor = "A"\ndate = 2017-02-30\n')
    preview = pv.Preview(project.root)
    try:
        preview.rebuild()  # raised a traceback before
    finally:
        preview.close()
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert len([line for line in err.splitlines() if line.startswith("Error:")]) == 1, err


def _until(condition, seconds: float = 20) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


def test_files_a_chapter_names_are_served_only_if_a_page_may_load_them(
    project: Project, serving
) -> None:
    """`![x](../.env)` and `<img src="answers/key.md">` make those files part of the page,
    but the preview serves only styles, fonts and images; and every answer forbids the
    browser to load anything from elsewhere."""
    project.write(".env", "SECRET=1\n")
    project.write("chapters/answers/key.md", "the teacher's answers\n")
    project.write(
        "chapters/01-first.md",
        '---\ntitle: First\n---\n\n![x](../.env) <img src="answers/key.md" alt="k">\n\n'
        "![remote](https://evil.example/md.png)\n",
    )
    preview, port = serving
    preview.rebuild()
    host = f"127.0.0.1:{port}"
    assert get(port, "/.env", host) == 404
    assert get(port, "/chapters/answers/key.md", host) == 404
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("GET", "/", headers={"Host": host})
        response = connection.getresponse()
        page = response.read().decode()
        policy = response.getheader("Content-Security-Policy") or ""
    finally:
        connection.close()
    assert "default-src 'self'" in policy and "img-src 'self' data:" in policy
    assert 'src="https://evil.example' not in page and "image-placeholder" in page
