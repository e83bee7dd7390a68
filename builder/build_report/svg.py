"""Vet an SVG before the layout engine draws it: no cycles, no fan-out, no runaway nesting.

WeasyPrint draws `<use>`, patterns, markers and `<image>` by copying or re-drawing what they
point at, and its SVG code catches BaseException: a file that includes itself twice, or a
`<use>` fan-out of 10^8 elements, runs for minutes, eats gigabytes and ignores both our
time limit and SIGTERM. So the work is bounded here, on the parsed tree, before layout: every
element counts once for itself and once more for everything it draws through a reference
(children, `<use>`/`href` targets, `url(#id)` paint servers, other SVG files it loads), and
an SVG is refused when that count passes MAX_ELEMENTS, when the references nest deeper than
MAX_DEPTH, or when they lead back to where they started.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit, urlunsplit

from lxml import etree

MAX_ELEMENTS = 100_000
MAX_DEPTH = 256

URL_REF = re.compile(r"""url\(\s*["']?([^"')]+?)["']?\s*\)""")
IMPORT_REF = re.compile(r"""@import\s+["']([^"']+)["']""")
WHOLE_DOCUMENT_TAGS = {"image", "feImage"}  # they load a whole file, whatever the fragment


class SvgRefused(ValueError):
    """Why an SVG is not drawn: one short sentence for the user."""


def parser() -> etree.XMLParser:
    """Internal entities expanded (as the engine's parser does, so the count sees what it will
    draw), external ones never loaded, no network, libxml2's own size and depth limits kept."""
    return etree.XMLParser(
        resolve_entities="internal", no_network=True, load_dtd=False, huge_tree=False
    )


def looks_like_xml(data: bytes) -> bool:
    """WeasyPrint tries any image it cannot decode as an SVG: so must we."""
    head = data[:64].lstrip(b"\xef\xbb\xbf \t\r\n")
    return head.startswith(b"<")


def parse(data: bytes) -> etree._Element:
    try:
        return etree.fromstring(data, parser())
    except etree.XMLSyntaxError as exc:
        raise SvgRefused(f"it is not well-formed XML ({exc.msg})") from None


@dataclass
class SvgFile:
    url: str  # without fragment: the identity of the file
    root: etree._Element
    ids: dict[str, etree._Element] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for element in self.root.iter(etree.Element):
            ident = element.get("id")
            if ident is not None:
                self.ids.setdefault(ident, element)


# another file's canonical URL (its real path) and bytes, or None: not ours to follow
Loader = Callable[[str], "tuple[str, bytes] | None"]
Node = tuple[str, object]  # ("doc", url) or ("el", element)


def document_url(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))


class _Graph:
    """What each element draws, across the SVG files it loads."""

    def __init__(self, load: Loader) -> None:
        self.load = load
        self.documents: dict[str, SvgFile | None] = {}
        self.canonical: dict[str, str | None] = {}  # as referred to -> as loaded
        self.owner: dict[etree._Element, SvgFile] = {}

    def add(self, url: str, data: bytes) -> SvgFile:
        document = SvgFile(document_url(url), parse(data))
        self.documents[document.url] = document
        for element in document.root.iter(etree.Element):
            self.owner[element] = document
        return document

    def document(self, url: str) -> SvgFile | None:
        """The SVG at `url`, parsed once however it is spelled (`a.svg`, `%61.svg`, a link to
        it); None when it is not ours to load or not XML."""
        if url not in self.canonical:
            loaded = self.load(url)
            self.canonical[url] = document_url(loaded[0]) if loaded else None
            if loaded and document_url(loaded[0]) not in self.documents:
                self.documents[document_url(loaded[0])] = None
                if looks_like_xml(loaded[1]):
                    self.add(loaded[0], loaded[1])
        key = self.canonical[url]
        return self.documents[key] if key is not None else None

    def successors(self, node: Node) -> list[Node]:
        kind, value = node
        if kind == "doc":
            document = self.documents.get(value)  # type: ignore[arg-type]
            return [("el", document.root)] if document is not None else []
        element: etree._Element = value  # type: ignore[assignment]
        found: list[Node] = [("el", child) for child in element.iterchildren(etree.Element)]
        found += [t for ref in self._references(element) if (t := self._target(element, ref))]
        return found

    def _references(self, element: etree._Element) -> Iterator[str]:
        for name, value in element.attrib.items():
            if etree.QName(name).localname in ("href", "src"):
                yield value.strip()
            yield from (m.strip() for m in URL_REF.findall(value))
        if etree.QName(element).localname == "style" and element.text:
            # a stylesheet's local url(#id) applies to elements we cannot match here: only
            # the files it loads are followed
            for ref in URL_REF.findall(element.text) + IMPORT_REF.findall(element.text):
                if not ref.strip().startswith("#"):
                    yield ref.strip()

    def _target(self, element: etree._Element, ref: str) -> Node | None:
        if not ref or ref.startswith("data:") and not ref.startswith("data:image/svg"):
            return None
        here = self.owner[element]
        url = urljoin(here.url, ref)
        fragment = urlsplit(url).fragment
        whole = etree.QName(element).localname in WHOLE_DOCUMENT_TAGS
        if ref.startswith("#"):  # also in a data: URL, against which nothing joins
            url, fragment = here.url, ref[1:]
        other = here if url == here.url else self.document(document_url(url))
        if other is None:
            return None
        if fragment and not whole:
            target = other.ids.get(fragment)
            return ("el", target) if target is not None else None
        return ("doc", other.url)


def vet(url: str, data: bytes, load: Loader) -> None:
    """Raise SvgRefused when drawing the SVG `data` (found at `url`) would loop, nest deeper
    than MAX_DEPTH, or draw more than MAX_ELEMENTS elements. `load(url)` gives the bytes of
    another file the SVG loads (None: not followed; the gatekeeper decides when it is asked)."""
    graph = _Graph(load)
    document = graph.add(url, data)
    graph.canonical[document.url] = document.url
    _count(graph, ("doc", document.url))


def _count(graph: _Graph, start: Node) -> int:
    """Elements drawn from `start`, references expanded: an iterative depth-first walk (no
    Python recursion to exhaust), each node's total and height kept, a node met again on its
    own path being a cycle."""
    done: dict[Node, tuple[int, int]] = {}  # node -> (elements drawn, levels below it)
    on_path: set[Node] = set()
    stack: list[_Frame] = []

    def enter(node: Node) -> None:
        if len(stack) > MAX_DEPTH:
            raise SvgRefused(f"its elements and references nest deeper than {MAX_DEPTH} levels")
        on_path.add(node)
        stack.append(_Frame(node, iter(graph.successors(node)), 1 if node[0] == "el" else 0))

    enter(start)
    while stack:
        frame = stack[-1]
        child = next(frame.pending, None)
        if child is None:
            stack.pop()
            on_path.discard(frame.node)
            done[frame.node] = (frame.total, frame.height)
            if stack:
                stack[-1].add(frame.total, frame.height)
        elif child in on_path:
            raise SvgRefused(f"it refers back to itself ({_name(child)})")
        elif child in done:
            frame.add(*done[child])
        else:
            enter(child)
    return done[start][0]


@dataclass
class _Frame:
    node: Node
    pending: Iterator[Node]
    total: int
    height: int = 0

    def add(self, total: int, height: int) -> None:
        """Count a finished successor: its elements, and one level more than its height."""
        self.total = _capped(self.total + total)
        self.height = max(self.height, height + 1)
        if self.height > MAX_DEPTH:
            raise SvgRefused(f"its elements and references nest deeper than {MAX_DEPTH} levels")


def _capped(total: int) -> int:
    if total > MAX_ELEMENTS:
        raise SvgRefused(
            f"it would draw more than {MAX_ELEMENTS} elements through <use> and other references"
        )
    return total


def _name(node: Node) -> str:
    kind, value = node
    if kind == "doc":
        return str(value).rsplit("/", 1)[-1]
    element: etree._Element = value  # type: ignore[assignment]
    ident = element.get("id")
    tag = etree.QName(element).localname
    return f"<{tag} id={ident}>" if ident else f"<{tag}>"
