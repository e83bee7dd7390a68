"""Allow `python -m builder`, the same as the `build-report` script."""

from builder.cli import main

if __name__ == "__main__":
    main()
