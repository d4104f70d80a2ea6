"""Imports contacts from a CSV export of the old CRM."""

import csv
from pathlib import Path

from crm.models import Contact
from crm.repository import ContactRepository

REQUIRED_COLUMNS = ("email", "first_name", "last_name")


class ContactCsvImporter:
    def __init__(self, repository: ContactRepository) -> None:
        self.repository = repository
        self.errors: list[str] = []

    def read_rows(self, path: Path) -> list[dict[str, str]]:
        with path.open(newline="", encoding="utf-8-sig") as fh:
            reader = csv.DictReader(fh)
            fieldnames = reader.fieldnames or []
            missing = [column for column in REQUIRED_COLUMNS if column not in fieldnames]
            if missing:
                raise ValueError(f"missing columns: {missing}")
            rows = list(reader)
        return rows

    def to_contact(self, row: dict[str, str]) -> Contact | None:
        if "@" not in row["email"]:
            self.errors.append(f"invalid email: {row['email']!r}")
            return None
        return Contact(
            email=row["email"],
            first_name=row["first_name"].strip(),
            last_name=row["last_name"].strip(),
            company=row.get("company") or None,
        )

    def run(self, path: Path) -> int:
        imported = 0
        for row in self.read_rows(path):
            contact = self.to_contact(row)
            if contact is not None:
                self.repository.upsert(contact)
                imported += 1
        return imported
