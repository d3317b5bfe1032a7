"""Security identifiers with valid check digits (CUSIP, ISIN, SEDOL) and exact number formatting.

Amounts in the generator are integers at a fixed scale (prices in 1e-8, money in cents) so that
a million trades stay fast and exact; `fmt_scaled` turns them into decimal strings without ever
passing through a float.
"""

from __future__ import annotations

import random
import string

PX_SCALE = 10**8  # prices are ints in units of 1e-8


def _char_value(c: str) -> int:
    if c.isdigit():
        return int(c)
    if c.isalpha():
        return ord(c.upper()) - ord("A") + 10
    return {"*": 36, "@": 37, "#": 38}[c]


def cusip_check_digit(base8: str) -> str:
    total = 0
    for i, c in enumerate(base8):
        v = _char_value(c)
        if i % 2 == 1:
            v *= 2
        total += v // 10 + v % 10
    return str((10 - total % 10) % 10)


def isin_check_digit(base11: str) -> str:
    digits = "".join(str(_char_value(c)) for c in base11)
    total = 0
    # Luhn from the right: the rightmost payload digit is doubled.
    for i, d in enumerate(reversed(digits)):
        v = int(d)
        if i % 2 == 0:
            v *= 2
        total += v // 10 + v % 10
    return str((10 - total % 10) % 10)


SEDOL_WEIGHTS = (1, 3, 1, 7, 3, 9)


def sedol_check_digit(base6: str) -> str:
    total = sum(_char_value(c) * w for c, w in zip(base6, SEDOL_WEIGHTS, strict=True))
    return str((10 - total % 10) % 10)


def isin_from_cusip(cusip: str, country: str = "US") -> str:
    base = country + cusip
    return base + isin_check_digit(base)


_SEDOL_CHARS = string.digits + "BCDFGHJKLMNPQRSTVWXYZ"  # SEDOLs never use vowels


def new_cusip(rng: random.Random, issuer: str | None = None, issue: str = "10") -> str:
    issuer = issuer or "".join(rng.choice(string.digits) for _ in range(6))
    base = (issuer + issue)[:8]
    return base + cusip_check_digit(base)


def new_sedol(rng: random.Random) -> str:
    base = "2" + "".join(rng.choice(_SEDOL_CHARS) for _ in range(5))
    return base + sedol_check_digit(base)


def fmt_scaled(value: int, scale_digits: int, min_dp: int = 0) -> str:
    """An int holding value * 10**scale_digits as a decimal string, trailing zeros trimmed to min_dp."""
    sign = "-" if value < 0 else ""
    value = abs(value)
    whole, frac = divmod(value, 10**scale_digits)
    if scale_digits == 0:
        return f"{sign}{whole}"
    frac_s = f"{frac:0{scale_digits}d}".rstrip("0")
    if len(frac_s) < min_dp:
        frac_s = frac_s.ljust(min_dp, "0")
    return f"{sign}{whole}.{frac_s}" if frac_s else f"{sign}{whole}"


def fmt_px(px: int, min_dp: int = 2) -> str:
    return fmt_scaled(px, 8, min_dp)


def fmt_cents(cents: int) -> str:
    sign = "-" if cents < 0 else ""
    whole, frac = divmod(abs(cents), 100)
    return f"{sign}{whole}.{frac:02d}"


def div_round_half_up(num: int, den: int) -> int:
    """num/den rounded half away from zero, in integers."""
    q, r = divmod(abs(num), den)
    if 2 * r >= den:
        q += 1
    return q if (num >= 0) == (den > 0) else -q
