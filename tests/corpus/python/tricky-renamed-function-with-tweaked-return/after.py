"""Query parsing for the product search."""

import re

STOPWORDS = frozenset({"a", "an", "and", "the", "of", "for", "with"})
MAX_QUERY_LENGTH = 120
_TOKEN = re.compile(r"[\w'-]+")


def clean_query(raw: str) -> str:
    terms = []
    for token in _TOKEN.findall(raw):
        lowered = token.lower()
        if lowered in STOPWORDS:
            continue
        terms.append(lowered)
    query = " ".join(terms)
    return query[:MAX_QUERY_LENGTH]


def split_filters(raw: str) -> tuple[str, dict[str, str]]:
    filters = {}
    words = []
    for word in raw.split():
        key, sep, value = word.partition(":")
        if sep and key in ("brand", "color", "size"):
            filters[key] = value
        else:
            words.append(word)
    return " ".join(words), filters


def highlight(text: str, query: str) -> str:
    for term in query.split():
        text = re.sub(rf"(?i)\b({re.escape(term)})\b", r"<mark>\1</mark>", text)
    return text
