"""Run the tidegate CLI with `python -m tidegate`."""

from tidegate.cli import main

main()
