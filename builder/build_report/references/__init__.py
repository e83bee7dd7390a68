"""Cited sources: reading bibliography files, and the CSL styles shipped with the tool."""
