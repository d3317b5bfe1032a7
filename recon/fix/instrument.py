"""Which instrument a FIX message names, resolved through the instrument master.

Precedence (first that applies):
  167=OPT             -> OCC symbol: SecurityID(48) or Symbol(55) when it is one, else built from
                         Symbol(55) as root + MaturityDate(541) (or an 8-digit MaturityMonthYear(200))
                         + PutOrCall(201) + StrikePrice(202)
  167=FUT             -> future code: Symbol(55), else SecurityID(48)
  167=FOR/FXSPOT/...  -> FX pair: SecurityID(48) when 22=8 (e.g. "EURUSD-20261201" for a forward),
                         else Symbol(55) without its slash ("EUR/USD" -> "EURUSD")
  SecurityID(48)      -> by SecurityIDSource(22): 1 CUSIP, 2 SEDOL, 4 ISIN, 8 exchange symbol
  Symbol(55)          -> ticker, with SecurityExchange(207) or else LastMkt(30) as MIC
An identifier the master does not know keeps a stable id "<TYPE>:<value>" (the master's rule).
Results are cached per distinct identifying fields: a day's file names few instruments many times.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from recon.fix.tags import (
    LAST_MKT,
    MATURITY_DATE,
    MATURITY_MONTH_YEAR,
    PUT_OR_CALL,
    SECURITY_EXCHANGE,
    SECURITY_ID,
    SECURITY_ID_SOURCE,
    SECURITY_TYPE,
    STRIKE_PRICE,
    SYMBOL,
)
from recon.fix.values import NormalizeError
from recon.instruments import Instrument, InstrumentMaster, normalize_occ

_ID_SOURCES = {"1": "cusip", "2": "sedol", "4": "isin", "8": "ticker"}
_FX_TYPES = {"FOR", "FXSPOT", "FXFWD", "FXNDF", "FXSWAP"}
_BOND_TYPES = {"CORP", "GOVT", "TBOND", "TNOTE", "TBILL", "MUNI", "AGNCY", "CB", "EUCORP", "EUSOV"}
_ASSET_BY_TYPE = {"OPT": "option", "FUT": "future", "ETF": "etf", "CS": "equity", "PS": "equity"}


@dataclass(frozen=True, slots=True)
class ResolvedInstrument:
    instrument_id: str
    asset_class: str
    symbol: str | None
    mic: str | None
    isin: str | None
    cusip: str | None
    sedol: str | None
    multiplier: Decimal
    currency: str | None  # the master's currency, used when the message has no Currency(15)


class InstrumentResolver:
    def __init__(self, master: InstrumentMaster | None = None):
        self.master = master if master is not None else InstrumentMaster([])
        self._cache: dict[tuple, ResolvedInstrument] = {}

    def resolve(self, fields: dict) -> ResolvedInstrument:
        g = fields.get
        key = (g(SYMBOL), g(SECURITY_ID), g(SECURITY_ID_SOURCE), g(SECURITY_TYPE), g(SECURITY_EXCHANGE), g(LAST_MKT))
        if key[3] == "OPT":
            key += (g(MATURITY_DATE), g(MATURITY_MONTH_YEAR), g(PUT_OR_CALL), g(STRIKE_PRICE))
        hit = self._cache.get(key)
        if hit is None:
            hit = self._resolve(fields)
            if len(self._cache) < 100_000:
                self._cache[key] = hit
        return hit

    def _resolve(self, fields: dict) -> ResolvedInstrument:
        symbol = fields.get(SYMBOL) or None
        if symbol == "[N/A]":  # FIX's "no symbol" placeholder (bonds quoted by ISIN/CUSIP)
            symbol = None
        mic = fields.get(SECURITY_EXCHANGE) or fields.get(LAST_MKT) or None
        sec_type = (fields.get(SECURITY_TYPE) or "").upper()
        ids: dict[str, str] = {}
        if sec_type == "OPT":
            id_type, value = "occ", _occ_symbol(fields, symbol)
        elif sec_type == "FUT":
            id_type, value = "future", _need_symbol(symbol or fields.get(SECURITY_ID), "future code")
        elif sec_type in _FX_TYPES:
            pair = fields.get(SECURITY_ID) if fields.get(SECURITY_ID_SOURCE) == "8" else None
            id_type, value = "fx_pair", pair or _need_symbol(symbol, "FX pair").replace("/", "")
        elif fields.get(SECURITY_ID):
            source = fields.get(SECURITY_ID_SOURCE)
            id_type = _ID_SOURCES.get(source or "")
            if id_type is None:
                if not symbol:
                    raise NormalizeError(f"unsupported SecurityIDSource(22)={source!r} for SecurityID(48)")
                id_type, value = "ticker", symbol  # the symbol still names it
            else:
                value = fields[SECURITY_ID]
                if id_type != "ticker":
                    ids[id_type] = value
        elif symbol:
            id_type, value = "ticker", symbol
        else:
            raise NormalizeError("missing instrument: no Symbol(55) and no SecurityID(48)")
        instrument_id, inst = self.master.resolve(id_type, value, mic if id_type == "ticker" else None)
        return _resolved(instrument_id, inst, sec_type, symbol, mic, ids)


def _need_symbol(symbol: str | None, what: str) -> str:
    if not symbol:
        raise NormalizeError(f"missing Symbol(55) ({what})")
    return symbol


def _occ_symbol(fields: dict, symbol: str | None) -> str:
    """SecurityID(48)/Symbol(55) if a full OCC symbol, else root + expiry + C/P + strike from the tags."""
    for candidate in (fields.get(SECURITY_ID), symbol):
        if candidate and _looks_occ(candidate):
            return normalize_occ(candidate)
    expiry = fields.get(MATURITY_DATE) or fields.get(MATURITY_MONTH_YEAR) or ""
    put_call = {"0": "P", "1": "C"}.get(fields.get(PUT_OR_CALL) or "")
    strike = fields.get(STRIKE_PRICE)
    if not (symbol and len(expiry) == 8 and expiry.isdigit() and put_call and strike):
        raise NormalizeError(
            "option without an OCC symbol: need Symbol(55) as OCC symbol, or Symbol(55) root with "
            "MaturityDate(541) YYYYMMDD, PutOrCall(201) and StrikePrice(202)"
        )
    try:
        strike_units = int(Decimal(strike) * 1000)
    except ArithmeticError:
        raise NormalizeError(f"unparseable number StrikePrice(202)={strike!r}") from None
    return symbol.ljust(6) + expiry[2:] + put_call + f"{strike_units:08d}"


def _looks_occ(text: str) -> bool:
    s = text.replace(" ", "")
    return len(s) >= 16 and s[-9] in "CP" and s[-8:].isdigit() and s[-15:-9].isdigit()


def _resolved(
    instrument_id: str,
    inst: Instrument | None,
    sec_type: str,
    symbol: str | None,
    mic: str | None,
    ids: dict[str, str],
) -> ResolvedInstrument:
    if inst is not None:
        return ResolvedInstrument(
            instrument_id,
            inst.asset_class,
            symbol or inst.symbol,
            mic or inst.mic,
            ids.get("isin") or inst.isin,
            ids.get("cusip") or inst.cusip,
            ids.get("sedol") or inst.sedol,
            inst.multiplier,
            inst.currency,
        )
    if sec_type in _FX_TYPES:
        asset = "fx"
    elif sec_type in _BOND_TYPES:
        asset = "bond"
    else:
        asset = _ASSET_BY_TYPE.get(sec_type, "equity")
    multiplier = Decimal(100) if asset == "option" else Decimal(1)  # US listed options; master overrides
    return ResolvedInstrument(
        instrument_id,
        asset,
        symbol,
        mic,
        ids.get("isin"),
        ids.get("cusip"),
        ids.get("sedol"),
        multiplier,
        None,
    )
