"""The Jinja2 environment every document is made with: StrictUndefined and autoescaping."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import jinja2
from markupsafe import Markup

from build_report.markup.renderer import inline_html

TEMPLATES = Path(__file__).parent / "templates"


@cache
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["inline"] = lambda text: Markup(inline_html(str(text)))
    return env


def fill(name: str, **context) -> str:
    """Fill in one template."""
    return environment().get_template(name).render(**context)
