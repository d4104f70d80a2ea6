"""Export formats for report rows."""

import csv
import io
import json
from dataclasses import dataclass


@dataclass
class CsvOptions:
    delimiter: str = ","
    quotechar: str = '"'
    lineterminator: str = "\n"
    header: bool = True


class Exporter:
    content_type = "application/octet-stream"

    def export(self, rows: list[dict]) -> bytes:
        raise NotImplementedError


class JsonExporter(Exporter):
    content_type = "application/json"

    def export(self, rows: list[dict]) -> bytes:
        return json.dumps(rows, indent=2, default=str).encode()


class CsvExporter(Exporter):
    content_type = "text/csv"

    def export(self, rows: list[dict]) -> bytes:
        if not rows:
            return b""
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
        return buffer.getvalue().encode()


EXPORTERS: dict[str, type[Exporter]] = {}
EXPORTERS["json"] = JsonExporter
EXPORTERS["csv"] = CsvExporter


def exporter_for(fmt: str) -> Exporter:
    if fmt not in EXPORTERS:
        raise ValueError(f"unknown export format {fmt!r}")
    return EXPORTERS[fmt]()
