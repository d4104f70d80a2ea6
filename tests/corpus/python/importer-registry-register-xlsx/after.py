"""Registry mapping file extensions to importer classes."""

from pathlib import Path

from importers.base import Importer, ImportError_
from importers.csv_importer import CsvImporter
from importers.excel_importer import ExcelImporter
from importers.json_importer import JsonImporter

IMPORTERS: dict[str, type[Importer]] = {}

IMPORTERS["csv"] = CsvImporter
IMPORTERS["tsv"] = CsvImporter
IMPORTERS["json"] = JsonImporter
IMPORTERS["ndjson"] = JsonImporter
IMPORTERS["xlsx"] = ExcelImporter


def extension_of(path: Path) -> str:
    return path.suffix.lower().lstrip(".")


def importer_for(path: Path) -> Importer:
    extension = extension_of(path)
    importer_class = IMPORTERS.get(extension)
    if importer_class is None:
        raise ImportError_(f"no importer for .{extension} files")
    return importer_class(delimiter="\t") if extension == "tsv" else importer_class()


def supported_extensions() -> list[str]:
    return sorted(IMPORTERS)


def import_file(path: Path) -> int:
    importer = importer_for(path)
    with path.open("rb") as fh:
        records = importer.read(fh)
    return importer.store(records)
