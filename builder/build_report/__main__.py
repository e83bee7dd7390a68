"""Allow `python -m build_report`, the same as the `build-report` script."""

from build_report.cli import main

if __name__ == "__main__":
    main()
