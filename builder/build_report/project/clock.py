"""One clock for a build: SOURCE_DATE_EPOCH when set (reproducible builds), else now."""

from __future__ import annotations

import datetime
import os

from build_report.errors import BuildError


def source_date_epoch() -> str | None:
    """The SOURCE_DATE_EPOCH setting as given, or None: read here and nowhere else."""
    return os.environ.get("SOURCE_DATE_EPOCH") or None


def build_clock() -> datetime.datetime:
    """One clock for the whole build: SOURCE_DATE_EPOCH when set, so builds can be reproduced."""
    epoch = source_date_epoch()
    if epoch:
        try:
            return datetime.datetime.fromtimestamp(int(epoch), tz=datetime.UTC)
        except (ValueError, OverflowError):
            raise BuildError(
                "SOURCE_DATE_EPOCH",
                f"'{epoch}' is not a number of seconds",
                "set it to a Unix timestamp such as 1700000000",
            ) from None
    return datetime.datetime.now(tz=datetime.UTC).replace(microsecond=0)
