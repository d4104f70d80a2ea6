"""Parsing untrusted XML reports (Cobertura, JUnit) with expat: no DTD, errors with lines."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tidegate.errors import UsageError

StartHandler = Callable[[str, dict[str, str]], None]
EndHandler = Callable[[str], None]
TextHandler = Callable[[str], None]


class XmlRefused(Exception):
    """Raised inside expat handlers; carries the message and line."""

    def __init__(self, message: str, line: int) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


def parse_untrusted_xml(
    data: bytes,
    source: str,
    what: str,
    bind: Callable[[Callable[[], int]], tuple[StartHandler, EndHandler, TextHandler | None]],
) -> None:
    """Feed ``data`` to the handlers ``bind(current_line)`` returns; raise UsageError on faults.

    Any DTD is refused: entity expansion (billion laughs) and external entities need one.
    """
    # xml is imported here, not at module top: most gate runs never read an XML report.
    from xml.parsers import expat  # noqa: PLC0415

    parser = expat.ParserCreate()
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)

    def current_line() -> int:
        return int(parser.CurrentLineNumber)

    def refuse_dtd(*_: Any) -> None:
        raise XmlRefused("DOCTYPE and ENTITY declarations are refused", current_line())

    start, end, characters = bind(current_line)
    parser.StartDoctypeDeclHandler = refuse_dtd
    parser.EntityDeclHandler = refuse_dtd
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    if characters is not None:
        parser.CharacterDataHandler = characters
    try:
        parser.Parse(data, True)
    except XmlRefused as error:
        raise UsageError(f"{source}:{error.line}: {error.message}") from None
    except expat.ExpatError as error:
        raise UsageError(
            f"{source}:{error.lineno}: not well-formed {what}: {expat.ErrorString(error.code)}"
        ) from None
    except RecursionError as error:
        raise UsageError(f"{source}: XML nested too deeply") from error
