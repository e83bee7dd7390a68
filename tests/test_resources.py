"""The resource gatekeeper: project files only, no network unless allowed, never private hosts."""

from __future__ import annotations

import http.server
import socket
import threading
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from build_report.resources import MAX_RESOURCE_BYTES, ProjectResources


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    (root / "img").mkdir(parents=True)
    (root / "img" / "a.png").write_bytes(b"png")
    (root / ".git").mkdir()
    (root / ".git" / "config").write_text("secret")
    (tmp_path / "outside.txt").write_text("outside")
    (root / "img" / "link.png").symlink_to(tmp_path / "outside.txt")
    return root


def test_serves_project_files_and_records_them(tree: Path) -> None:
    resources = ProjectResources(tree)
    data, mime = resources.read((tree / "img" / "a.png").as_uri())
    assert data == b"png" and mime == "image/png"
    assert resources.served == [(tree / "img" / "a.png").resolve()]


@pytest.mark.parametrize(
    ("relative", "reason"),
    [
        ("../outside.txt", "outside the project"),
        ("img/link.png", "outside the project"),
        ("img/%2e%2e/%2e%2e/outside.txt", "outside the project"),
        (".git/config", ".git"),
        ("img/missing.png", "no such file"),
    ],
)
def test_refusals(tree: Path, relative: str, reason: str) -> None:
    resources = ProjectResources(tree)
    url = tree.as_uri() + "/" + relative
    with pytest.raises(PermissionError):
        resources.read(url)
    assert reason in resources.refused[0].reason


def test_size_cap(tree: Path) -> None:
    big = tree / "big.bin"
    with big.open("wb") as handle:
        handle.truncate(MAX_RESOURCE_BYTES + 1)
    with pytest.raises(PermissionError):
        ProjectResources(tree).read(big.as_uri())


class _Server(http.server.BaseHTTPRequestHandler):
    hits: list[str] = []

    def do_GET(self) -> None:  # noqa: N802
        type(self).hits.append(self.path)
        self.send_response(302)
        self.send_header("Location", "http://10.0.0.1/next")
        self.end_headers()

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def server():
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Server)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.1})
    thread.daemon = True
    thread.start()
    _Server.hits.clear()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def test_network_is_off_by_default(tree: Path, server: str) -> None:
    resources = ProjectResources(tree)
    with pytest.raises(PermissionError):
        resources.read(server + "/a.png")
    assert "--allow-network" in resources.refused[0].reason
    assert _Server.hits == []


def test_loopback_refused_even_when_allowed(tree: Path, server: str) -> None:
    resources = ProjectResources(tree, allow_network=True)
    with pytest.raises(PermissionError):
        resources.read(server + "/a.png")
    assert "loopback or private" in resources.refused[0].reason
    assert _Server.hits == []


def test_each_redirect_is_checked_again(tree: Path, server: str, monkeypatch) -> None:
    """Let the first hop through (as if it were public); its redirect to a private address
    is refused before any connection is made."""
    real = ProjectResources._check_host
    calls = []

    def first_hop_allowed(self, url, current):
        calls.append(current)
        if len(calls) > 1:
            return real(self, url, current)
        return socket.AF_INET, ("127.0.0.1", urlsplit(current).port)

    monkeypatch.setattr(ProjectResources, "_check_host", first_hop_allowed)
    resources = ProjectResources(tree, allow_network=True)
    with pytest.raises(PermissionError):
        resources.read(server + "/start")
    assert _Server.hits == ["/start"]
    assert calls[1] == "http://10.0.0.1/next"
    assert "private" in resources.refused[0].reason


def test_other_schemes_refused(tree: Path) -> None:
    resources = ProjectResources(tree, allow_network=True)
    with pytest.raises(PermissionError):
        resources.read("ftp://example.org/x")
