"""HTML that we make ourselves and the sanitizer would spoil: inline SVG (callout icons, math
in print), MathML (math in the ebook) and highlighted code with per-line styles.

The sanitizer (sanitize.py) keeps only HTML elements and a few attributes, which is right for
what authors write and wrong for what we draw. So a render rule *holds* its finished HTML and
writes a marker in its place (two private-use characters around a number); the marker passes
the sanitizer as text, and `fill` puts the held HTML back afterwards. A marker an author types
can only ever call up HTML we made for that same chapter, never anything of theirs.
"""

from __future__ import annotations

import re
from typing import Any

OPEN, CLOSE = "\ue000", "\ue001"
MARKER = re.compile(f"{OPEN}(\\d+){CLOSE}")
KEY = "trusted"


def hold(env: Any, html: str) -> str:
    """Keep `html` aside for this render; the marker to write where it goes."""
    ctx = env.get("_render") if isinstance(env, dict) else None
    if ctx is None:  # no chapter render (front matter): nothing to put back, so no marker
        return ""
    held: list[str] = ctx.setdefault(KEY, [])
    held.append(html)
    return f"{OPEN}{len(held) - 1}{CLOSE}"


def fill(html: str, env: dict[str, Any]) -> str:
    """Put every held piece back where its marker is (after sanitizing)."""
    held: list[str] = env.get("_render", {}).get(KEY, [])

    def back(found: re.Match) -> str:
        n = int(found.group(1))
        return held[n] if n < len(held) else ""

    return MARKER.sub(back, html)
