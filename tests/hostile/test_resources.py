"""The gatekeeper under attack: DNS rebinding, symlink races, and SVGs that never finish."""

from __future__ import annotations

import base64
import http.server
import socket
import threading
import time
from pathlib import Path

import pytest
from build_report import resources as gate
from build_report.resources import ProjectResources
from build_report.svg import MAX_DEPTH, MAX_ELEMENTS

from tests.conftest import Project, assert_clean_error

SVG = '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink">{}</svg>'


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    (root / "img").mkdir(parents=True)
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "a.png").write_bytes(b"OUTSIDE-SECRET")
    return root


# --- DNS rebinding under --allow-network ---------------------------------------------------


def test_connects_to_the_address_it_checked(tree: Path, monkeypatch) -> None:
    """A resolver that answers a public address first and 127.0.0.1 after: the connection
    goes to the address that was checked, never to loopback."""
    answers = iter(["93.184.216.34"] + ["127.0.0.1"] * 10)

    def resolver(host, port, *args, **kwargs):
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (next(answers), port))]

    connected: list[tuple] = []

    def connect(self, address) -> None:
        connected.append(address)
        raise ConnectionRefusedError("no network in tests")

    monkeypatch.setattr(socket, "getaddrinfo", resolver)
    monkeypatch.setattr(socket.socket, "connect", connect)
    resources = ProjectResources(tree, allow_network=True)
    with pytest.raises(PermissionError):
        resources.read("http://rebind.example/a.png")
    assert connected == [("93.184.216.34", 80)]
    assert "could not be fetched" in resources.refused[0].reason


class _EchoHost(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802
        body = (self.headers.get("Host") or "").encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


def test_pinned_connection_keeps_the_host_name(tree: Path) -> None:
    """Connected to the vetted address, the request still names the host (virtual hosts)."""
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _EchoHost)
    threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True).start()
    port = httpd.server_address[1]
    try:
        status, _, data, _ = gate._fetch(
            f"http://site.example:{port}/x", (socket.AF_INET, ("127.0.0.1", port))
        )
    finally:
        httpd.shutdown()
        httpd.server_close()
    assert status == 200 and data == f"site.example:{port}".encode()


def test_pinned_https_checks_the_certificate_of_the_host_name(monkeypatch) -> None:
    seen: dict[str, object] = {}

    class Context:
        def wrap_socket(self, sock, server_hostname=None):
            seen["sni"] = server_hostname
            sock.close()
            raise OSError("stop here")

    monkeypatch.setattr(gate, "_connect", lambda address, timeout: socket.socket())
    connection = gate.PinnedHTTPSConnection("site.example", (socket.AF_INET, ("1.2.3.4", 443)))
    connection.tls = Context()
    with pytest.raises(OSError, match="stop here"):
        connection.connect()
    assert seen["sni"] == "site.example"


# --- races: the check and the read are one open ---------------------------------------------


def _swap_on_check(monkeypatch, target: Path, swap) -> None:
    """Swap `target` for a symlink right after the gatekeeper has resolved and checked it,
    the moment an attacker's loop would hit."""
    original = Path.is_file
    done: list[bool] = []

    def is_file(self: Path) -> bool:
        answer = original(self)
        if self == target and not done:
            done.append(True)
            swap()
        return answer

    monkeypatch.setattr(Path, "is_file", is_file)


def test_file_swapped_for_a_symlink_is_not_read(tree: Path, monkeypatch) -> None:
    image = tree / "img" / "a.png"
    image.write_bytes(b"inside")

    def swap() -> None:
        image.unlink()
        image.symlink_to(tree.parent / "outside" / "a.png")

    _swap_on_check(monkeypatch, image.resolve(), swap)
    resources = ProjectResources(tree)
    with pytest.raises(PermissionError):
        resources.read(image.as_uri())
    assert "changed while it was read" in resources.refused[0].reason


def test_folder_swapped_for_a_symlink_is_not_read(tree: Path, monkeypatch) -> None:
    image = tree / "img" / "a.png"
    image.write_bytes(b"inside")

    def swap() -> None:
        (tree / "img").rename(tree / "img-old")
        (tree / "img").symlink_to(tree.parent / "outside")

    _swap_on_check(monkeypatch, image.resolve(), swap)
    resources = ProjectResources(tree)
    with pytest.raises(PermissionError):
        resources.read(image.as_uri())


def test_safe_read_serves_the_file_as_before(tree: Path) -> None:
    (tree / "img" / "a.png").write_bytes(b"inside")
    assert ProjectResources(tree).read((tree / "img" / "a.png").as_uri())[0] == b"inside"


# --- SVGs that loop, fan out or nest -------------------------------------------------------


def _fan_out(levels: int, width: int) -> str:
    parts = ['<rect id="a0" width="1" height="1"/>']
    for level in range(1, levels + 1):
        uses = f'<use xlink:href="#a{level - 1}"/>' * width
        parts.append(f'<g id="a{level}">{uses}</g>')
    return SVG.format("".join(parts))


HOSTILE = {
    "image-self-twice": SVG.format('<image href="a.svg"/><image href="a.svg"/>'),
    "use-self-twice": SVG.format('<g id="x"><use href="a.svg#x"/><use href="a.svg#x"/></g>'),
    "use-ancestor": SVG.format('<g id="x"><rect/><use href="#x"/></g>'),
    "pattern-fills-itself": SVG.format('<pattern id="p"><rect fill="url(#p)"/></pattern>'),
    "fan-out-10-to-the-8": _fan_out(8, 10),
    "deep-use-chain": SVG.format(
        '<rect id="g0"/>'
        + "".join(f'<use id="g{i}" href="#g{i - 1}"/>' for i in range(1, MAX_DEPTH + 20))
    ),
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_svg_is_refused_quickly(tree: Path, name: str) -> None:
    svg = tree / "img" / "a.svg"
    svg.write_text(HOSTILE[name])
    resources = ProjectResources(tree)
    start = time.monotonic()
    with pytest.raises(PermissionError):
        resources.read(svg.as_uri())
    assert time.monotonic() - start < 2
    reason = resources.refused[0].reason
    assert any(w in reason for w in ("refers back", str(MAX_ELEMENTS), str(MAX_DEPTH))), reason


def test_svgs_that_include_each_other_are_refused(tree: Path) -> None:
    (tree / "img" / "a.svg").write_text(SVG.format('<image href="b.svg"/>'))
    (tree / "img" / "b.svg").write_text(SVG.format('<image href="a.svg"/><image href="a.svg"/>'))
    resources = ProjectResources(tree)
    with pytest.raises(PermissionError):
        resources.read((tree / "img" / "a.svg").as_uri())
    assert "refers back" in resources.refused[0].reason


def test_fan_out_across_files_is_counted(tree: Path) -> None:
    (tree / "img" / "leaf.svg").write_text(_fan_out(3, 10))  # ~1 100 elements
    images = '<image href="leaf.svg"/>' * 200  # 200 x 1 100 > 100 000
    (tree / "img" / "a.svg").write_text(SVG.format(images))
    with pytest.raises(PermissionError):
        ProjectResources(tree).read((tree / "img" / "a.svg").as_uri())


def test_an_svg_named_png_is_vetted_too(tree: Path) -> None:
    """WeasyPrint tries an image it cannot decode as an SVG, whatever its name."""
    (tree / "img" / "a.png").write_text(SVG.format('<image href="a.png"/><image href="a.png"/>'))
    with pytest.raises(PermissionError):
        ProjectResources(tree).read((tree / "img" / "a.png").as_uri())


def test_an_svg_in_a_data_url_is_vetted_too(tree: Path) -> None:
    url = "data:image/svg+xml;base64," + base64.b64encode(_fan_out(8, 10).encode()).decode()
    with pytest.raises(PermissionError):
        ProjectResources(tree).read(url)


def test_ordinary_svgs_pass(tree: Path) -> None:
    """<use> of a symbol, gradients, and an Illustrator-style entity for the namespace."""
    (tree / "img" / "ok.svg").write_text(
        '<!DOCTYPE svg [<!ENTITY ns "http://www.w3.org/2000/svg">]>'
        '<svg xmlns="&ns;" xmlns:xlink="http://www.w3.org/1999/xlink">'
        '<defs><linearGradient id="g"><stop offset="0"/></linearGradient>'
        '<symbol id="s"><rect width="1" height="1" fill="url(#g)"/></symbol></defs>'
        + '<use xlink:href="#s"/>' * 50
        + _fan_out(3, 10)[len(SVG.split("{")[0]) : -len("</svg>")]
        + "</svg>"
    )
    data, mime = ProjectResources(tree).read((tree / "img" / "ok.svg").as_uri())
    assert mime == "image/svg+xml" and data.startswith(b"<!DOCTYPE")


def test_self_including_svg_is_a_one_line_error_naming_the_chapter(project: Project) -> None:
    """Before: 13 minutes, 5 GB, and deaf to SIGTERM. Now refused before layout."""
    project.write("chapters/loop.svg", HOSTILE["image-self-twice"].replace("a.svg", "loop.svg"))
    project.write("chapters/01-first.md", "---\ntitle: First\n---\n\n![loop](loop.svg)\n")
    start = time.monotonic()
    result = project.build("pdf")
    assert time.monotonic() - start < 60
    line = assert_clean_error(result, names="chapters/01-first.md")
    assert "refers back" in line


def test_global_looking_addresses_that_wrap_private_ones_are_refused() -> None:
    """NAT64, 6to4, IPv4-mapped and -compatible addresses count as global, yet carry a
    loopback or private IPv4 address: they are refused like it."""
    import ipaddress

    from build_report.resources import _wraps_private

    for wrapped in ("64:ff9b::7f00:1", "2002:7f00:1::", "::127.0.0.1", "::ffff:10.0.0.1"):
        assert _wraps_private(ipaddress.ip_address(wrapped)), wrapped
    for public in ("2606:4700::1111", "64:ff9b::808:808", "93.184.216.34"):
        assert not _wraps_private(ipaddress.ip_address(public)), public
