"""Slug generation for titles and file names."""

import re
import unicodedata

_NON_WORD = re.compile(r"[^\w\s-]")
_SEPARATORS = re.compile(r"[-\s]+")


def slugify(value: str, allow_unicode: bool = False, max_length: int = 80) -> str:
    if allow_unicode:
        value = unicodedata.normalize("NFKC", value)
    else:
        value = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode("ascii")
    value = _NON_WORD.sub("", value.lower())
    slug = _SEPARATORS.sub("-", value).strip("-_")
    if len(slug) > max_length:
        slug = slug[:max_length].rstrip("-")
    return slug


def unique_slug(value: str, taken: set[str]) -> str:
    base = slugify(value)
    candidate = base
    counter = 2
    while candidate in taken:
        candidate = f"{base}-{counter}"
        counter += 1
    return candidate


def filename_for(title: str, extension: str) -> str:
    stem = slugify(title, max_length=60) or "untitled"
    return f"{stem}.{extension.lstrip('.')}"
