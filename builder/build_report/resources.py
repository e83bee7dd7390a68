"""One gatekeeper for every file a renderer loads: project files only, never .git, size-capped,
and no network unless the user allows it."""

from __future__ import annotations

import base64
import http.client
import ipaddress
import mimetypes
import re
import socket
import ssl
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, unquote_to_bytes, urljoin, urlsplit
from urllib.request import url2pathname

from build_report import svg
from build_report.safe_open import NotInside, read_inside

MAX_RESOURCE_BYTES = 20 * 1024 * 1024
NETWORK_TIMEOUT = 10
MAX_REDIRECTS = 5
REDIRECTS = (301, 302, 303, 307, 308)
Address = tuple[int, tuple]  # (socket family, socket address) as getaddrinfo gives them


SVG_REF = re.compile(rb"""(?:href|src)\s*=\s*["']([^"'#][^"']*)["']""", re.IGNORECASE)


def svg_references(data: bytes) -> list[str]:
    """What an SVG file points at (images, stylesheets, fonts), fragments aside."""
    refs = [m.decode("utf-8", "replace") for m in SVG_REF.findall(data)]
    refs += [
        m.decode("utf-8", "replace") for m in re.findall(rb"url\(\s*['\"]?([^'\")#][^'\")]*)", data)
    ]
    return [r for r in refs if not r.startswith("data:")]


NAT64 = ipaddress.ip_network("64:ff9b::/96")


def _wraps_private(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """An IPv6 address that carries an IPv4 one (mapped, 6to4, Teredo, NAT64, compatible) and
    so may reach a loopback or private IPv4 host though it counts as global itself."""
    if address.version != 6:
        return False
    inner = [address.ipv4_mapped, address.sixtofour, address.teredo and address.teredo[1]]
    if address in NAT64 or int(address) >> 32 == 0:  # NAT64, IPv4-compatible ::a.b.c.d
        inner.append(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
    return any(v is not None and not v.is_global for v in inner)


@dataclass
class Refusal:
    url: str
    reason: str
    origin: str = ""  # the chapter or stylesheet that asked for it, when known


@dataclass
class ProjectResources:
    """Serves `file:` URLs inside the project root (after resolving links, `..` and
    percent-encoding), and http(s) URLs only when the network is allowed.

    Everything it serves is recorded: that list is what a cache or an EPUB manifest needs.
    Everything it refuses is recorded too, with the file that asked for it, so the build can fail
    with a clear message instead of leaving a silent gap in the output.
    """

    root: Path
    allow_network: bool = False
    origins: dict[str, str] = field(default_factory=dict)  # URL -> chapter or stylesheet
    served: list[Path] = field(default_factory=list)
    fetched: list[str] = field(default_factory=list)
    refused: list[Refusal] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.root = self.root.resolve()

    def local_path(self, url: str) -> Path | None:
        parts = urlsplit(url)
        if parts.scheme != "file" or parts.netloc not in ("", "localhost"):
            return None
        return Path(url2pathname(unquote(parts.path)))

    def check(self, url: str) -> Path:
        """Return the real path behind a file URL, or raise PermissionError saying why not.

        The file is opened (without following links) to be checked: a caller that then wants
        its bytes must call `read`, which checks and reads in one open."""
        real = self._inside(url)
        self._read_checked(url, real)
        return real

    def _inside(self, url: str) -> Path:
        """The real path behind a file URL, when it is inside the project and not in .git."""
        path = self.local_path(url)
        if path is None:
            self._refuse(url, "only files inside the project are loaded")
        real = path.resolve()
        if real != self.root and self.root not in real.parents:
            self._refuse(url, "it is outside the project folder")
        if ".git" in real.relative_to(self.root).parts:
            self._refuse(url, "files under .git/ are never loaded")
        return real

    def _read_checked(self, url: str, real: Path) -> bytes:
        """The bytes of `real`, read through the descriptor that proves it is still the
        checked, regular file inside the project (a symlink swapped in since is refused)."""
        if not real.is_file():
            self._refuse(url, "no such file")
        try:
            return read_inside(self.root, real.relative_to(self.root), MAX_RESOURCE_BYTES)
        except NotInside as exc:
            reason = str(exc)
            if "larger than" in reason:
                self._refuse(url, f"it is larger than {MAX_RESOURCE_BYTES} bytes")
            self._refuse(url, f"it changed while it was read ({reason})")
        except OSError as exc:
            self._refuse(url, f"it could not be read ({exc.strerror})")
        raise AssertionError("unreachable")

    def read(self, url: str) -> tuple[bytes, str]:
        """The bytes and media type behind `url`, checked, recorded, and (an SVG) vetted."""
        scheme = urlsplit(url).scheme
        if scheme in ("http", "https"):
            data, mime = self._download(url)
            self._vet_svg(url, url, data, mime)
            return data, mime
        if scheme == "data":
            data, mime = self._data(url)
            self._vet_svg(url, url, data, mime)
            return data, mime
        real = self._inside(url)
        data = self._read_checked(url, real)
        self.served.append(real)
        mime = mimetypes.guess_type(real.name)[0] or "application/octet-stream"
        if real.suffix.lower() == ".svg":  # an SVG image loads resources of its own
            shown = str(real.relative_to(self.root))
            for ref in svg_references(data):
                self.origins.setdefault(urljoin(url, ref), shown)
        self._vet_svg(url, real.as_uri(), data, mime)
        return data, mime

    def _data(self, url: str) -> tuple[bytes, str]:
        """A `data:` URL decoded, so that an SVG in one is vetted like any other."""
        header, comma, payload = url[len("data:") :].partition(",")
        if not comma:
            self._refuse(url[:40], "it is not a valid data: URL")
        try:
            data = (
                base64.b64decode(unquote(payload))
                if header.endswith(";base64")
                else unquote_to_bytes(payload)
            )
        except ValueError:
            self._refuse(url[:40], "it is not a valid data: URL")
        mime = header.split(";")[0].strip() or "text/plain"
        return data, mime

    def _vet_svg(self, url: str, key: str, data: bytes, mime: str) -> None:
        """Refuse an SVG that would loop, fan out or nest without bound when drawn (svg.py).
        Any XML-looking image is vetted: the engine tries one it cannot decode as an SVG."""
        declared = mime == "image/svg+xml" or urlsplit(url).path.lower().endswith(".svg")
        sniffed = mime != "text/css" and svg.looks_like_xml(data)
        if not (declared or sniffed):
            return
        try:
            svg.vet(key, data, self._load_for_svg)
        except svg.SvgRefused as exc:
            if declared or "well-formed" not in str(exc):
                self._refuse(url if not url.startswith("data:") else url[:40], f"this SVG {exc}")

    def _load_for_svg(self, url: str) -> tuple[str, bytes] | None:
        """Another file an SVG loads, for vetting only: nothing is recorded or refused here
        (the engine asks the gatekeeper itself when it draws)."""
        try:
            if url.startswith("data:"):
                return url, self._data_quietly(url)
            path = self.local_path(url)
            if path is None:
                return None
            real = path.resolve()
            if self.root not in real.parents or ".git" in real.relative_to(self.root).parts:
                return None
            data = read_inside(self.root, real.relative_to(self.root), MAX_RESOURCE_BYTES)
            return real.as_uri(), data
        except (OSError, ValueError):
            return None

    def _data_quietly(self, url: str) -> bytes:
        refused = len(self.refused)
        try:
            return self._data(url)[0]
        finally:
            del self.refused[refused:]

    def _download(self, url: str) -> tuple[bytes, str]:
        """Fetch `url`, following redirects by hand so that every hop is checked again, and
        connecting to the very address that was checked (no second lookup to rebind)."""
        if not self.allow_network:
            self._refuse(url, "the network is off (pass --allow-network to allow it)")
        current = url
        for _ in range(MAX_REDIRECTS + 1):
            address = self._check_host(url, current)
            try:
                status, location, data, mime = _fetch(current, address)
            except (OSError, http.client.HTTPException, ValueError) as exc:
                self._refuse(url, f"it could not be fetched ({exc})")
            if status in REDIRECTS and location:
                current = urljoin(current, location)
                continue
            if status != 200:
                self._refuse(url, f"the server answered {status}")
            if len(data) > MAX_RESOURCE_BYTES:
                self._refuse(url, f"it is larger than {MAX_RESOURCE_BYTES} bytes")
            self.fetched.append(url)
            return data, mime
        self._refuse(url, f"more than {MAX_REDIRECTS} redirects")
        raise AssertionError("unreachable")

    def _check_host(self, url: str, current: str) -> Address:
        """Look the host up once; refuse it if any address is not public; return the first
        address, the one `_fetch` connects to."""
        parts = urlsplit(current)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            self._refuse(url, f"redirected to {current}, which is not http(s)")
        try:
            port = parts.port or (443 if parts.scheme == "https" else 80)
            infos = socket.getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)
        except (OSError, ValueError):
            self._refuse(url, f"the host {parts.hostname} is unknown")
        if not infos:
            self._refuse(url, f"the host {parts.hostname} is unknown")
        for info in infos:
            try:
                address = ipaddress.ip_address(info[4][0])
            except ValueError:
                self._refuse(url, f"{parts.hostname} has an address that cannot be checked")
            if not address.is_global or address.is_multicast or _wraps_private(address):
                self._refuse(url, f"{parts.hostname} is a loopback or private address")
        return infos[0][0], infos[0][4]

    def _refuse(self, url: str, reason: str) -> None:
        shown = url
        path = self.local_path(url)
        if path is not None:
            try:
                shown = str(path.resolve().relative_to(self.root))
            except ValueError:
                shown = str(path)
        origin = self.origins.get(url) or self.origins.get(url.split("#")[0], "")
        self.refused.append(Refusal(shown, reason, origin))
        raise PermissionError(f"{shown}: {reason}")

    def raise_first_refusal(self) -> None:
        """After a render: a refused resource is an error naming who asked for it."""
        from build_report.errors import BuildError

        if self.refused:
            first = self.refused[0]
            raise BuildError(
                first.origin or first.url,
                f"refused to load {first.url}: {first.reason}",
                "keep images, styles and fonts inside the project folder",
            )


def _connect(address: Address, timeout: float) -> socket.socket:
    """A TCP connection to exactly `address`: no name, so no lookup that could answer anew."""
    family, sockaddr = address
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.settimeout(timeout)
        sock.connect(sockaddr)
    except BaseException:
        sock.close()
        raise
    return sock


class PinnedHTTPConnection(http.client.HTTPConnection):
    """HTTP to the vetted address; the Host header still names the host."""

    def __init__(self, host: str, address: Address, port: int | None = None) -> None:
        super().__init__(host, port, timeout=NETWORK_TIMEOUT)
        self.address = address

    def connect(self) -> None:
        self.sock = _connect(self.address, self.timeout)


class PinnedHTTPSConnection(http.client.HTTPSConnection):
    """HTTPS to the vetted address; SNI and the certificate check are for the host name."""

    def __init__(
        self,
        host: str,
        address: Address,
        port: int | None = None,
        tls: ssl.SSLContext | None = None,
    ) -> None:
        self.tls = tls or ssl.create_default_context()
        super().__init__(host, port, timeout=NETWORK_TIMEOUT, context=self.tls)
        self.address = address

    def connect(self) -> None:
        sock = _connect(self.address, self.timeout)
        self.sock = self.tls.wrap_socket(sock, server_hostname=self.host)


def _fetch(url: str, address: Address) -> tuple[int, str, bytes, str]:
    """One GET of `url` from `address`: status, Location, at most one byte past the size cap,
    and the media type."""
    parts = urlsplit(url)
    kind = PinnedHTTPSConnection if parts.scheme == "https" else PinnedHTTPConnection
    connection = kind(parts.hostname or "", address, parts.port)
    try:
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        connection.request("GET", target, headers={"User-Agent": "build-report"})
        response = connection.getresponse()
        data = response.read(MAX_RESOURCE_BYTES + 1)
        mime = response.headers.get_content_type() or "application/octet-stream"
        return response.status, response.headers.get("Location", ""), data, mime
    finally:
        connection.close()
