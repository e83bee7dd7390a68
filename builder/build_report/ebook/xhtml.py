"""HTML fragments -> well-formed XHTML: re-serialized by lxml, never passed through as tag soup."""

from __future__ import annotations

import unicodedata

from lxml import etree, html

XHTML_NS = "http://www.w3.org/1999/xhtml"
EPUB_NS = "http://www.idpf.org/2007/ops"
# SVG attributes an HTML parser lowercases (it knows no SVG), as XML needs them spelled.
SVG_CASE = {"viewbox": "viewBox", "preserveaspectratio": "preserveAspectRatio"}

# ARIA roles in our HTML -> the EPUB 3 structural semantics reading systems act on.
EPUB_TYPES = {
    "doc-noteref": "noteref",
    "doc-footnote": "footnote",
    "doc-backlink": "backlink",
    "doc-chapter": "chapter",
    "doc-endnotes": "footnotes",
}


def fragment_to_xhtml(fragment: str) -> str:
    """Parse an HTML fragment as a browser would and serialize it as XML.

    Unclosed tags, `<br>`, bare ampersands and the like come out well-formed.
    """
    if not fragment.strip():
        return ""
    holder = html.fragment_fromstring(fragment, create_parent="div")
    parts = [holder.text and _escape(holder.text) or ""]
    seen: set[str] = set()
    for child in holder:
        _clean_ids(child, seen)
        parts.append(etree.tostring(child, method="xml", encoding="unicode"))
    return "".join(parts)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _name_char(char: str) -> bool:
    """Whether `char` may stand inside an XML name: letters, marks and digits of every script
    (a Devanagari vowel sign, a Hangul syllable), `_`, `-`, `.` and `·`."""
    return char in "_-.·" or unicodedata.category(char)[0] in "LMN"


def is_xml_name(ident: str) -> bool:
    """Whether `ident` is an XML name without colons (NCName), as EPUB wants ids to be. Heading
    ids keep their script ("второй-раздел"), so this cannot be an ASCII pattern."""
    return (
        bool(ident)
        and (ident[0] == "_" or unicodedata.category(ident[0])[0] == "L")
        and all(_name_char(c) for c in ident)
    )


def _clean_ids(element: etree._Element, seen: set[str]) -> None:
    """EPUBCheck wants ids to be unique XML names; raw HTML may bring others."""
    for node in element.iter():
        if not isinstance(node.tag, str):
            continue
        for lowered, spelled in SVG_CASE.items():
            if lowered in node.attrib:
                node.set(spelled, node.attrib.pop(lowered))
        ident = node.get("id")
        if ident is None:
            continue
        if not is_xml_name(ident):
            ident = "id-" + "".join(c if _name_char(c) else "-" for c in ident)
        base, n = ident, 1
        while ident in seen:
            n += 1
            ident = f"{base}-{n}"
        seen.add(ident)
        node.set("id", ident)


def finish_document(document: str) -> bytes:
    """Parse a whole rendered XHTML document (proving it well-formed), map ARIA roles to
    `epub:type`, and serialize it with an XML declaration."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, remove_blank_text=False)
    root = etree.fromstring(document.encode("utf-8"), parser)
    for node in root.iter(f"{{{XHTML_NS}}}*"):
        role = node.get("role")
        if role in EPUB_TYPES and node.get(f"{{{EPUB_NS}}}type") is None:
            node.set(f"{{{EPUB_NS}}}type", EPUB_TYPES[role])
    body = etree.tostring(root, encoding="unicode")
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE html>\n' + body + "\n").encode()
