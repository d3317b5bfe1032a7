"""FIX field values -> exact Python values. Every failure is a NormalizeError naming tag and value.

FIX "float" fields are plain decimals (optional '-', digits, optional '.'): no exponent, no NaN.
They become Decimal straight from the text, never through float.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from recon.fix.groups import tag_name


class NormalizeError(ValueError):
    """A message that framed and split fine but cannot become canonical; the text is the reason."""


def need(fields: dict, tag: str) -> str:
    value = fields.get(tag)
    if not value:
        raise NormalizeError(f"missing required {tag_name(tag)}")
    return value


_DECIMALS: dict[str, Decimal] = {}  # quantities and commissions repeat a lot; Decimal is immutable


def decimal_of(text: str, tag: str) -> Decimal:
    d = _DECIMALS.get(text)
    if d is not None:
        return d
    digits = text[1:] if text[:1] == "-" else text
    if not digits.replace(".", "", 1).isdigit():
        raise NormalizeError(f"unparseable number {tag_name(tag)}={text!r}")
    d = Decimal(text)
    if len(_DECIMALS) < 100_000:
        _DECIMALS[text] = d
    return d


def dec(fields: dict, tag: str) -> Decimal:
    return decimal_of(need(fields, tag), tag)


def opt_dec(fields: dict, tag: str) -> Decimal | None:
    value = fields.get(tag)
    return decimal_of(value, tag) if value else None


_DATES: dict[str, date] = {}


def date_of(text: str, tag: str) -> date:
    """FIX LocalMktDate / UTCDateOnly: YYYYMMDD."""
    d = _DATES.get(text)
    if d is not None:
        return d
    if len(text) != 8 or not text.isdigit():
        raise NormalizeError(f"unparseable date {tag_name(tag)}={text!r} (expected YYYYMMDD)")
    try:
        d = date(int(text[:4]), int(text[4:6]), int(text[6:]))
    except ValueError:
        raise NormalizeError(f"unparseable date {tag_name(tag)}={text!r} (no such day)") from None
    if len(_DATES) < 10_000:
        _DATES[text] = d
    return d


def opt_date(fields: dict, tag: str) -> date | None:
    value = fields.get(tag)
    return date_of(value, tag) if value else None


def timestamp_of(text: str, tag: str) -> datetime:
    """FIX UTCTimestamp: YYYYMMDD-HH:MM:SS[.s{1,9}] -> naive UTC datetime (sub-microseconds cut)."""
    n = len(text)
    if (
        n < 17
        or n > 27
        or text[8] != "-"
        or text[11] != ":"
        or text[14] != ":"
        or not text[:8].isdigit()
        or (n > 17 and (text[17] != "." or not text[18:].isdigit()))
    ):
        raise NormalizeError(
            f"unparseable timestamp {tag_name(tag)}={text!r} (expected YYYYMMDD-HH:MM:SS[.sss])"
        )
    try:
        # The shape is checked above; fromisoformat (C) does the digits and ranges.
        return datetime.fromisoformat(f"{text[:8]}T{text[9:]}")
    except ValueError:
        raise NormalizeError(f"unparseable timestamp {tag_name(tag)}={text!r} (out of range)") from None


def opt_timestamp(fields: dict, tag: str) -> datetime | None:
    value = fields.get(tag)
    return timestamp_of(value, tag) if value else None


def is_yes(value: str | None) -> bool:
    return value == "Y"
