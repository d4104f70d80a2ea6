"""Command line interface of the backup tool."""

import argparse
import logging
from pathlib import Path

from backup import archive, restore

log = logging.getLogger("backup")


def cmd_backup(args: argparse.Namespace) -> int:
    path = archive.create(args.source, args.destination, compress=not args.no_compress)
    log.info("backup written to %s", path)
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    restored = restore.extract(args.archive, args.target, overwrite=args.force)
    log.info("restored %d files into %s", restored, args.target)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="backup")
    sub = parser.add_subparsers(dest="command", required=True)
    create = sub.add_parser("create")
    create.add_argument("source", type=Path)
    create.add_argument("destination", type=Path)
    create.add_argument("--no-compress", action="store_true")
    extract = sub.add_parser("restore")
    extract.add_argument("archive", type=Path)
    extract.add_argument("target", type=Path)
    extract.add_argument("--force", action="store_true")
    return parser


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO)
    args = build_parser().parse_args(argv)
    status = 2
    if args.command == "create":
        status = cmd_backup(args)
    elif args.command == "restore":
        status = cmd_restore(args)
    return status
