"""Check digits: the generator's functions against real identifiers, and every generated
identifier against validators written here independently (whole-string checks)."""

from __future__ import annotations

import random

from recon.generator.identifiers import (
    cusip_check_digit,
    isin_check_digit,
    isin_from_cusip,
    new_cusip,
    new_sedol,
    sedol_check_digit,
)


def _v(c: str) -> int:
    return int(c) if c.isdigit() else ord(c) - 55


def valid_isin(s: str) -> bool:
    digits = "".join(str(_v(c)) for c in s)
    total = 0
    for i, d in enumerate(reversed(digits)):  # Luhn over the whole string, check digit included
        n = int(d) * (2 if i % 2 else 1)
        total += n - 9 if n > 9 else n
    return len(s) == 12 and total % 10 == 0


def valid_cusip(s: str) -> bool:
    total = sum(sum(divmod(_v(c) * (2 if i % 2 else 1), 10)) for i, c in enumerate(s[:8]))
    return len(s) == 9 and (10 - total % 10) % 10 == int(s[8])


def valid_sedol(s: str) -> bool:
    total = sum(_v(c) * w for c, w in zip(s, (1, 3, 1, 7, 3, 9, 1), strict=True))
    return len(s) == 7 and total % 10 == 0 and not set(s) & set("AEIOU")


def test_known_real_identifiers():
    assert cusip_check_digit("03783310") == "0"  # Apple Inc. 037833100
    assert isin_check_digit("US037833100") == "5"  # US0378331005
    assert sedol_check_digit("204625") == "1"  # 2046251
    assert sedol_check_digit("026349") == "4"  # BAE Systems 0263494
    assert isin_check_digit("GB000263494") == "6"  # GB0002634946
    assert isin_from_cusip("594918104") == "US5949181045"  # Microsoft
    for real in ("US0378331005", "GB0002634946", "US5949181045"):
        assert valid_isin(real)
    assert not valid_isin("US0378331006")
    assert valid_cusip("037833100") and not valid_cusip("037833101")
    assert valid_sedol("2046251") and not valid_sedol("2046252")


def test_generated_identifiers_are_valid():
    rng = random.Random(3)
    for _ in range(500):
        c = new_cusip(rng)
        assert valid_cusip(c) and valid_isin(isin_from_cusip(c))
        assert valid_sedol(new_sedol(rng))


def test_master_identifiers_are_valid_and_unique(day):
    seen: set[str] = set()
    for inst in day.master.instruments.values():
        for kind, value, check in (
            ("isin", inst.isin, valid_isin),
            ("cusip", inst.cusip, valid_cusip),
            ("sedol", inst.sedol, valid_sedol),
        ):
            if value:
                assert check(value), (inst.instrument_id, kind, value)
                assert value not in seen
                seen.add(value)
        if inst.asset_class in ("equity", "etf"):
            assert inst.isin and inst.cusip and inst.sedol and inst.mic in ("XNYS", "XNAS", "ARCX")
            assert inst.isin == "US" + inst.cusip + inst.isin[-1]
        if inst.asset_class == "bond":
            assert inst.isin and inst.cusip
