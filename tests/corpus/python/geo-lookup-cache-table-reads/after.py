"""Country and timezone lookups backed by bundled CSV tables."""

import csv
import functools
from importlib import resources


@functools.cache
def _read_table(name: str) -> tuple[dict[str, str], ...]:
    with resources.files("geo.data").joinpath(name).open(encoding="utf-8") as fh:
        return tuple(csv.DictReader(fh))


def country_for_prefix(number: str) -> str | None:
    best = None
    for row in _read_table("dialing_codes.csv"):
        if number.startswith(row["code"]):
            if best is None or len(row["code"]) > len(best["code"]):
                best = row
    return best["country"] if best else None


def timezones_for(country: str) -> list[str]:
    zones = []
    for row in _read_table("timezones.csv"):
        if row["country"] == country.upper():
            zones.append(row["tz"])
    return zones


def country_name(code: str, default: str = "") -> str:
    for row in _read_table("countries.csv"):
        if row["alpha2"] == code.upper():
            return row["name"]
    return default
