"""build-report: Markdown chapters + CSS -> print PDF, EPUB 3 and classroom handouts."""

__version__ = "0.1.0"
