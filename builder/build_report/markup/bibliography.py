"""Cited sources (placeholder while cross-references are tested)."""

from __future__ import annotations


class Sources:
    pass


def load_sources(book):
    return None
