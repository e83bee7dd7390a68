"""Allow `python -m build_report`, the same as the `build-report` script."""

from build_report.cli import run

if __name__ == "__main__":
    run()
