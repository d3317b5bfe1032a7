"""SQL identifiers: never taken from data; only simple names pass. The warehouse block and the
mapping compiler both check every table and column name they put into SQL text here."""

from __future__ import annotations

import re

_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,127}$")


def check_identifier(name: str) -> str:
    """`name` itself when it is a plain identifier; ValueError otherwise."""
    if not _IDENT.match(name):
        raise ValueError(f"invalid SQL identifier {name!r}: use letters, digits and _ only")
    return name
