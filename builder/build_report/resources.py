"""One gatekeeper for every file a renderer loads: project files only, never .git, size-capped,
and no network unless the user allows it."""

from __future__ import annotations

import ipaddress
import mimetypes
import re
import socket
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit
from urllib.request import url2pathname

MAX_RESOURCE_BYTES = 20 * 1024 * 1024
NETWORK_TIMEOUT = 10
MAX_REDIRECTS = 5


SVG_REF = re.compile(rb"""(?:href|src)\s*=\s*["']([^"'#][^"']*)["']""", re.IGNORECASE)


def svg_references(data: bytes) -> list[str]:
    """What an SVG file points at (images, stylesheets, fonts), fragments aside."""
    refs = [m.decode("utf-8", "replace") for m in SVG_REF.findall(data)]
    refs += [
        m.decode("utf-8", "replace") for m in re.findall(rb"url\(\s*['\"]?([^'\")#][^'\")]*)", data)
    ]
    return [r for r in refs if not r.startswith("data:")]


@dataclass
class Refusal:
    url: str
    reason: str
    origin: str = ""  # the chapter or stylesheet that asked for it, when known


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """Redirects are followed by hand, so that every hop is checked again."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):  # noqa: D102
        return None


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
        """Return the real path behind a file URL, or raise PermissionError saying why not."""
        path = self.local_path(url)
        if path is None:
            self._refuse(url, "only files inside the project are loaded")
        real = path.resolve()
        if real != self.root and self.root not in real.parents:
            self._refuse(url, "it is outside the project folder")
        if ".git" in real.relative_to(self.root).parts:
            self._refuse(url, "files under .git/ are never loaded")
        if not real.is_file():
            self._refuse(url, "no such file")
        if real.stat().st_size > MAX_RESOURCE_BYTES:
            self._refuse(url, f"it is larger than {MAX_RESOURCE_BYTES} bytes")
        return real

    def read(self, url: str) -> tuple[bytes, str]:
        scheme = urlsplit(url).scheme
        if scheme in ("http", "https"):
            return self._download(url)
        real = self.check(url)
        self.served.append(real)
        mime = mimetypes.guess_type(real.name)[0] or "application/octet-stream"
        data = real.read_bytes()
        if real.suffix.lower() == ".svg":  # an SVG image loads resources of its own
            shown = str(real.relative_to(self.root))
            for ref in svg_references(data):
                self.origins.setdefault(urljoin(url, ref), shown)
        return data, mime

    def _download(self, url: str) -> tuple[bytes, str]:
        if not self.allow_network:
            self._refuse(url, "the network is off (pass --allow-network to allow it)")
        opener = urllib.request.build_opener(_NoRedirects())
        current = url
        for _ in range(MAX_REDIRECTS + 1):
            self._check_host(url, current)
            try:
                response = opener.open(current, timeout=NETWORK_TIMEOUT)
            except urllib.error.HTTPError as exc:
                if exc.code in (301, 302, 303, 307, 308) and exc.headers.get("Location"):
                    current = urljoin(current, exc.headers["Location"])
                    continue
                self._refuse(url, f"the server answered {exc.code}")
            except (urllib.error.URLError, OSError) as exc:
                self._refuse(url, f"it could not be fetched ({exc})")
            with response:
                data = response.read(MAX_RESOURCE_BYTES + 1)
                if len(data) > MAX_RESOURCE_BYTES:
                    self._refuse(url, f"it is larger than {MAX_RESOURCE_BYTES} bytes")
                self.fetched.append(url)
                mime = response.headers.get_content_type() or "application/octet-stream"
                return data, mime
        self._refuse(url, f"more than {MAX_REDIRECTS} redirects")
        raise AssertionError("unreachable")

    def _check_host(self, url: str, current: str) -> None:
        parts = urlsplit(current)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            self._refuse(url, f"redirected to {current}, which is not http(s)")
        try:
            infos = socket.getaddrinfo(parts.hostname, parts.port or 443, type=socket.SOCK_STREAM)
        except OSError:
            self._refuse(url, f"the host {parts.hostname} is unknown")
        for info in infos:
            address = ipaddress.ip_address(info[4][0])
            if not address.is_global or address.is_multicast:
                self._refuse(url, f"{parts.hostname} is a loopback or private address")

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
