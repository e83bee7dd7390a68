"""build-report: Markdown chapters + CSS -> print PDF, EPUB 3 and classroom handouts."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("build-report")
except PackageNotFoundError:  # run from a source tree that was never installed
    __version__ = "0.0.0+unknown"
