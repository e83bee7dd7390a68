"""Characters that no output can hold, taken out where text enters the book.

XML 1.0 (XHTML, EPUB) forbids most C0 controls and the noncharacters U+FFFE and U+FFFF; a PDF
shows them as empty boxes; on a terminal, escape sequences repaint the screen. They reach us
through files written by other tools (a form feed as a page break) and through escapes in YAML
and TOML strings (`"\\f"`, `"\\u001b"`). Tab, line feed and carriage return stay.
"""

from __future__ import annotations

import re
from typing import Any

_UNFIT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufdd0-\ufdef\ufffe\uffff]")


def xml_safe(text: str) -> str:
    """`text` without the characters above; NUL becomes U+FFFD, as CommonMark says."""
    if not _UNFIT.search(text):
        return text
    return _UNFIT.sub(lambda m: "\ufffd" if m.group() == "\x00" else "", text)


def clean_strings(value: Any) -> Any:
    """Every string in parsed YAML or TOML data (keys included), made `xml_safe`."""
    if isinstance(value, str):
        return xml_safe(value)
    if isinstance(value, dict):
        return {clean_strings(k): clean_strings(v) for k, v in value.items()}
    if isinstance(value, list):
        return [clean_strings(v) for v in value]
    return value
