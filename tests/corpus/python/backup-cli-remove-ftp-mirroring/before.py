"""Command line interface of the backup tool."""

import argparse
import ftplib
import logging
from pathlib import Path

from backup import archive, restore

log = logging.getLogger("backup")


def upload_ftp(mirror: str, path: Path) -> None:
    host, _, directory = mirror.partition("/")
    with ftplib.FTP(host) as ftp:
        ftp.login()
        ftp.cwd(directory or "/")
        with path.open("rb") as fh:
            ftp.storbinary(f"STOR {path.name}", fh)


def cmd_backup(args: argparse.Namespace) -> int:
    path = archive.create(args.source, args.destination, compress=not args.no_compress)
    for mirror in args.legacy_mirrors:
        upload_ftp(mirror, path)
    log.info("backup written to %s", path)
    return 0


def cmd_restore(args: argparse.Namespace, verbose: bool = False) -> int:
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
    create.add_argument("--legacy-mirror", dest="legacy_mirrors", action="append", default=[])
    extract = sub.add_parser("restore")
    extract.add_argument("archive", type=Path)
    extract.add_argument("target", type=Path)
    extract.add_argument("--force", action="store_true")
    mirror = sub.add_parser("mirror")
    mirror.add_argument("archive", type=Path)
    mirror.add_argument("mirror")
    return parser


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO)
    args = build_parser().parse_args(argv)
    status = 2
    if args.command == "create":
        status = cmd_backup(args)
    elif args.command == "restore":
        status = cmd_restore(args)
    elif args.command == "mirror":
        upload_ftp(args.mirror, args.archive)
        status = 0
    return status
