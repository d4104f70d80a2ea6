"""Command line entry point for the inventory tool."""

import argparse
import sys

from invtool import commands


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="invtool", description="Inventory maintenance tasks")
    parser.add_argument("--db", default="inventory.sqlite3", help="path to the database")
    parser.add_argument("-v", "--verbose", action="store_true")
    sub = parser.add_subparsers(dest="command", required=True)

    sync = sub.add_parser("sync", help="pull stock levels from the warehouse API")
    sync.add_argument("--since", help="only items changed since this ISO date")

    report = sub.add_parser("report", help="print a stock report")
    report.add_argument("--format", choices=["table", "csv"], default="table")

    export = sub.add_parser("export", help="export items to a file")
    export.add_argument("output", help="destination path")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "sync":
        count = commands.sync(args.db, since=args.since, verbose=args.verbose)
        print(f"synced {count} items")
    elif args.command == "report":
        commands.report(args.db, fmt=args.format, out=sys.stdout)
    elif args.command == "export":
        written = commands.export(args.db, args.output)
        print(f"wrote {written} items to {args.output}")
    else:
        print(f"unknown command: {args.command}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
