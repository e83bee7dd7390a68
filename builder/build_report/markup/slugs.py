"""The one way text becomes a name: file names, report slugs, edition names and heading ids."""

from __future__ import annotations

import re
import unicodedata


def slugify(text: str, fallback: str = "report") -> str:
    """ASCII, lower-case, hyphen-separated: safe as a file name and an id on every platform."""
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-zA-Z0-9]+", "-", text).strip("-").lower() or fallback
