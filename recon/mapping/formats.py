"""Python strptime formats (what mapping YAML uses) -> Snowflake date/time format strings.

The mappings speak strptime (the generator renders with strftime); the SQL is Snowflake dialect,
which sqlglot turns back into strptime codes for DuckDB. Only codes with an exact Snowflake
counterpart are accepted, so a format never silently means something else.
"""

from __future__ import annotations

_CODES = {
    "%Y": "YYYY",
    "%y": "YY",
    "%m": "MM",
    "%d": "DD",
    "%b": "MON",
    "%H": "HH24",
    "%I": "HH12",
    "%p": "AM",
    "%M": "MI",
    "%S": "SS",
    "%f": "FF6",
}
_PLAIN = set(" -/:.,_")


def strptime_to_snowflake(fmt: str) -> str:
    """'%Y-%m-%dT%H:%M:%S.%f' -> 'YYYY-MM-DD"T"HH24:MI:SS.FF6'."""
    out: list[str] = []
    literal: list[str] = []
    i = 0

    def flush() -> None:
        if literal:
            out.append('"' + "".join(literal) + '"')
            literal.clear()

    while i < len(fmt):
        ch = fmt[i]
        if ch == "%":
            code = fmt[i : i + 2]
            if code not in _CODES:
                raise ValueError(f"unsupported format code {code!r} in {fmt!r}; supported: {' '.join(_CODES)}")
            flush()
            out.append(_CODES[code])
            i += 2
            continue
        if ch in _PLAIN:
            flush()
            out.append(ch)
        elif ch.isalnum():
            literal.append(ch)
        else:
            raise ValueError(f"unsupported character {ch!r} in format {fmt!r}")
        i += 1
    flush()
    if not any(c in fmt for c in ("%Y", "%y")):
        raise ValueError(f"format {fmt!r} has no year (%Y or %y)")
    return "".join(out)
