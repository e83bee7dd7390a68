"""One gatekeeper for every file a renderer loads: project files only, never .git, size-capped."""

from __future__ import annotations

import mimetypes
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit
from urllib.request import url2pathname

MAX_RESOURCE_BYTES = 20 * 1024 * 1024


@dataclass
class Refusal:
    url: str
    reason: str


@dataclass
class ProjectResources:
    """Serves `file:` URLs inside the project root (after resolving links and `..`).

    Everything it serves is recorded: that list is what a cache or an EPUB manifest needs.
    Everything it refuses is recorded too, so the build can fail with a clear message instead
    of leaving a silent gap in the output.
    """

    root: Path
    served: list[Path] = field(default_factory=list)
    refused: list[Refusal] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.root = self.root.resolve()

    def local_path(self, url: str) -> Path | None:
        parts = urlsplit(url)
        if parts.scheme != "file":
            return None
        return Path(url2pathname(unquote(parts.path)))

    def check(self, url: str) -> Path:
        """Return the real path behind `url`, or raise PermissionError saying why not."""
        path = self.local_path(url)
        if path is None:
            self._refuse(url, "only files inside the project are loaded (no network)")
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
        real = self.check(url)
        self.served.append(real)
        mime = mimetypes.guess_type(real.name)[0] or "application/octet-stream"
        return real.read_bytes(), mime

    def _refuse(self, url: str, reason: str) -> None:
        shown = url
        path = self.local_path(url)
        if path is not None:
            try:
                shown = str(path.resolve().relative_to(self.root))
            except ValueError:
                shown = str(path)
        self.refused.append(Refusal(shown, reason))
        raise PermissionError(f"{shown}: {reason}")
