"""The holdout's own instrument universe, fund accounts and prime brokers.

Nothing here comes from recon/generator: names are fictional, identifiers are built with their
real check-digit rules (CUSIP, ISIN, SEDOL, OCC option symbols, futures month codes), prices,
ticks, multipliers, currencies and settlement cycles follow the markets they stand for.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

D = Decimal
MONTH_CODES = "FGHJKMNQUVXZ"


# ---- identifiers ---------------------------------------------------------------------------------


def _char_value(ch: str) -> int:
    return int(ch) if ch.isdigit() else ord(ch.upper()) - 55  # A=10 ... Z=35


def cusip_check(base8: str) -> str:
    total = 0
    for i, ch in enumerate(base8):
        v = _char_value(ch)
        if i % 2 == 1:
            v *= 2
        total += v // 10 + v % 10
    return str((10 - total % 10) % 10)


def isin_check(base11: str) -> str:
    digits = "".join(str(_char_value(c)) for c in base11)
    total = 0
    for i, ch in enumerate(reversed(digits)):
        v = int(ch) * (2 if i % 2 == 0 else 1)
        total += v // 10 + v % 10
    return str((10 - total % 10) % 10)


def sedol_check(base6: str) -> str:
    total = sum(_char_value(c) * w for c, w in zip(base6, (1, 3, 1, 7, 3, 9), strict=True))
    return str((10 - total % 10) % 10)


def occ_symbol(root: str, expiry: date, put_call: str, strike: Decimal, padded: bool = True) -> str:
    body = f"{expiry:%y%m%d}{put_call}{int(strike * 1000):08d}"
    return (root.ljust(6) if padded else root) + body


def third_friday(year: int, month: int) -> date:
    d = date(year, month, 15)
    return d + timedelta(days=(4 - d.weekday()) % 7)


def add_business_days(d: date, n: int) -> date:
    while n > 0:
        d += timedelta(days=1)
        if d.weekday() < 5:
            n -= 1
    return d


def previous_business_day(d: date) -> date:
    d -= timedelta(days=1)
    while d.weekday() >= 5:
        d -= timedelta(days=1)
    return d


# ---- instruments ---------------------------------------------------------------------------------


@dataclass
class Instrument:
    key: str  # the master's instrument_id
    asset_class: str  # equity etf option future fx bond
    name: str
    currency: str
    multiplier: Decimal
    tick: Decimal
    ref_price: Decimal
    lot: Decimal  # the usual quantity step
    settle_days: int
    market: str = "US"
    ticker: str | None = None
    mic: str | None = None
    isin: str | None = None
    cusip: str | None = None
    sedol: str | None = None
    occ: str | None = None
    underlying: str | None = None  # options: the underlying's ticker
    expiry: date | None = None
    put_call: str | None = None
    strike: Decimal | None = None
    future_root: str | None = None
    future_code: str | None = None
    future_month: str | None = None  # YYYYMM
    pair: str | None = None  # EURUSD
    coupon: Decimal | None = None
    accrued_days: int = 0
    odd_lots: bool = False
    extra: dict = field(default_factory=dict)

    @property
    def price_decimals(self) -> int:
        return max(0, -self.tick.normalize().as_tuple().exponent)


def _alnum(rng: random.Random, n: int, alphabet: str = "0123456789") -> str:
    return "".join(rng.choice(alphabet) for _ in range(n))


_SEDOL_ALPHA = "0123456789BCDFGHJKLMNPQRSTVWXYZ"

US_EQUITIES = [
    ("BRNX", "Brannock Industries", "XNYS", "64.20"), ("QRTZ", "Quartzline Semiconductor", "XNAS", "187.35"),
    ("HLVD", "Halvard Health", "XNYS", "92.10"), ("MOSK", "Moskva Gold Royalty", "XNYS", "23.44"),
    ("TRVN", "Trevanne Software", "XNAS", "412.80"), ("PELK", "Pelkin Foods", "XNYS", "48.62"),
    ("ZANT", "Zantor Aerospace", "XNYS", "256.90"), ("CORV", "Corvane Networks", "XNAS", "31.07"),
    ("LUMA", "Lumatic Devices", "XNAS", "118.45"), ("DRXL", "Drexell Energy", "XNYS", "77.30"),
    ("FENW", "Fenwick Retail", "XNYS", "15.82"), ("OSPR", "Osprey Therapeutics", "XNAS", "9.64"),
    ("GALV", "Galvani Utilities", "XNYS", "58.15"), ("KYRA", "Kyra Logistics", "XNAS", "143.70"),
    ("MNDR", "Meander Bancorp", "XNYS", "37.25"), ("PYXS", "Pyxis Data", "XNAS", "684.10"),
    ("RUTH", "Ruthven Materials", "XNYS", "45.90"), ("SOLQ", "Solquist Renewables", "XNAS", "6.38"),
    ("TAVR", "Tavern Brands", "XNYS", "71.40"), ("VEXA", "Vexa Biologics", "XNAS", "322.55"),
    ("WYND", "Wyndmoor Insurance", "XNYS", "104.25"), ("XYLO", "Xylon Robotics", "XNAS", "27.93"),
    ("YARR", "Yarrow Shipping", "XNYS", "19.47"), ("ZEPH", "Zephyr Airlines", "XNYS", "12.66"),
    ("BOLT", "Boltwood Motors", "XNAS", "231.05"), ("CNDL", "Candlewick REIT", "XNYS", "33.12"),
    ("DUNE", "Dunmore Chemicals", "XNYS", "88.76"), ("EMBR", "Ember Payments", "XNAS", "156.30"),
]
UK_EQUITIES = [
    ("HGW", "Hargrove & Wells plc", "4.2350"), ("BRTL", "Bristol Tidewater plc", "12.8400"),
    ("MAFL", "Mayfield Leisure plc", "1.9620"), ("CRSN", "Carsington Mining plc", "27.3100"),
    ("DLPH", "Delph Insurance plc", "6.0480"), ("KNLW", "Knollwood Homes plc", "2.7750"),
]
JP_EQUITIES = [("6471", "Hoshino Precision", "3240"), ("7741", "Kairiku Optics", "8615"),
               ("4519", "Sakurada Pharma", "2187"), ("8053", "Tsubame Trading", "4402"),
               ("9432", "Minato Telecom", "156")]
DE_EQUITIES = [("KRV", "Kranvogel AG", "84.36"), ("WLM", "Wellmann Chemie AG", "43.18"),
               ("BFX", "Bergfeld Versicherung AG", "212.40"), ("STZ", "Steinholz Bau AG", "17.92")]
ETFS = [("BRQX", "Broadquay US Total Market ETF", "268.40"), ("VTLA", "Vitalia Healthcare ETF", "91.75"),
        ("IGRD", "Ironguard Inv Grade Corp ETF", "104.62"), ("GLDE", "Gildenmoor Gold Trust", "221.30"),
        ("TSYL", "Tidesley 20+Y Treasury ETF", "88.05"), ("HYBD", "Highbridge High Yield ETF", "76.48")]
FX_PAIRS = [("EURUSD", "1.08450", "0.00001"), ("GBPUSD", "1.26530", "0.00001"), ("USDJPY", "151.480", "0.001"),
            ("AUDUSD", "0.65510", "0.00001"), ("USDCHF", "0.88470", "0.00001"), ("EURGBP", "0.85710", "0.00001")]
# root, name, multiplier, tick, price, currency, cycle (quarterly | monthly | bimonthly), count
FUTURES = [
    ("ES", "E-mini S&P 500", "50", "0.25", "6012.25", "USD", "quarterly", 2),
    ("NQ", "E-mini Nasdaq-100", "20", "0.25", "21384.50", "USD", "quarterly", 1),
    ("CL", "Light Sweet Crude Oil", "1000", "0.01", "69.42", "USD", "monthly", 2),
    ("GC", "Gold", "100", "0.10", "2647.30", "USD", "bimonthly", 1),
    ("ZN", "10-Year T-Note", "1000", "0.015625", "111.359375", "USD", "quarterly", 1),
    ("6E", "Euro FX", "125000", "0.00005", "1.08525", "USD", "quarterly", 1),
    ("FGBL", "Euro-Bund", "1000", "0.01", "132.46", "EUR", "quarterly", 1),
    ("NIY", "Nikkei 225 (Yen)", "500", "5", "38450", "JPY", "quarterly", 1),
]
# name, country, currency, coupon, price, tick, settle days
BONDS = [
    ("US Treasury 4.125% 2032", "US", "USD", "4.125", "99.515625", "0.015625", 1),
    ("US Treasury 4.375% 2034", "US", "USD", "4.375", "100.234375", "0.015625", 1),
    ("US Treasury 3.875% 2029", "US", "USD", "3.875", "98.953125", "0.015625", 1),
    ("US Treasury 4.625% 2054", "US", "USD", "4.625", "97.640625", "0.015625", 1),
    ("Brannock Industries 5.25% 2031", "US", "USD", "5.25", "101.375", "0.001", 1),
    ("Kyra Logistics 6.10% 2033", "US", "USD", "6.10", "103.842", "0.001", 1),
    ("UK Gilt 4.25% 2036", "GB", "GBP", "4.25", "97.86", "0.01", 1),
    ("Bund 2.60% 2034", "DE", "EUR", "2.60", "99.12", "0.01", 2),
]


def _front_months(d: date, cycle: str, count: int) -> list[tuple[int, int]]:
    months = {"quarterly": (3, 6, 9, 12), "bimonthly": (2, 4, 6, 8, 10, 12), "monthly": tuple(range(1, 13))}[cycle]
    out: list[tuple[int, int]] = []
    y, m = d.year, d.month
    # monthly (crude) trades two months out; the others roll after their third Friday
    if cycle == "monthly":
        m += 2
    while len(out) < count:
        while m > 12:
            y, m = y + 1, m - 12
        if m in months and (cycle == "monthly" or third_friday(y, m) > d):
            out.append((y, m))
        m += 1
    return out


def build_universe(trade_date: date) -> list[Instrument]:
    """Every instrument the holdout trades, identifiers valid, derivatives dated from trade_date."""
    rng = random.Random("holdout-universe-v1")  # the universe does not depend on the day's seed
    out: list[Instrument] = []
    n = 0

    def key(prefix: str) -> str:
        nonlocal n
        n += 1
        return f"HX{prefix}{n:04d}"

    for ticker, name, mic, px in US_EQUITIES:
        cusip8 = _alnum(rng, 6) + "10"
        cusip = cusip8 + cusip_check(cusip8)
        sedol6 = "2" + _alnum(rng, 5)
        price = D(px)
        out.append(Instrument(
            key=key("E"), asset_class="equity", name=name, currency="USD", multiplier=D(1), tick=D("0.01"),
            ref_price=price, lot=D(100), settle_days=1, ticker=ticker, mic=mic, cusip=cusip,
            isin="US" + cusip + isin_check("US" + cusip), sedol=sedol6 + sedol_check(sedol6), odd_lots=True,
        ))
    for ticker, name, px in UK_EQUITIES:
        sedol6 = "B" + _alnum(rng, 5, _SEDOL_ALPHA)
        sedol = sedol6 + sedol_check(sedol6)
        isin11 = "GB00" + sedol
        out.append(Instrument(
            key=key("E"), asset_class="equity", name=name, currency="GBP", multiplier=D(1), tick=D("0.0005"),
            ref_price=D(px), lot=D(1), settle_days=2, market="UK", ticker=ticker, mic="XLON", sedol=sedol,
            isin=isin11 + isin_check(isin11),
        ))
    for code, name, px in JP_EQUITIES:
        isin11 = "JP3" + _alnum(rng, 8)
        sedol6 = "6" + _alnum(rng, 5)
        out.append(Instrument(
            key=key("E"), asset_class="equity", name=name, currency="JPY", multiplier=D(1), tick=D(1),
            ref_price=D(px), lot=D(100), settle_days=2, market="JP", ticker=code, mic="XTKS",
            isin=isin11 + isin_check(isin11), sedol=sedol6 + sedol_check(sedol6),
        ))
    for ticker, name, px in DE_EQUITIES:
        isin11 = "DE000" + ticker + _alnum(rng, 3)
        sedol6 = "5" + _alnum(rng, 5)
        out.append(Instrument(
            key=key("E"), asset_class="equity", name=name, currency="EUR", multiplier=D(1), tick=D("0.02"),
            ref_price=D(px), lot=D(1), settle_days=2, market="DE", ticker=ticker, mic="XETR",
            isin=isin11 + isin_check(isin11), sedol=sedol6 + sedol_check(sedol6),
        ))
    for ticker, name, px in ETFS:
        cusip8 = _alnum(rng, 6) + "20"
        cusip = cusip8 + cusip_check(cusip8)
        sedol6 = "B" + _alnum(rng, 5, _SEDOL_ALPHA)
        out.append(Instrument(
            key=key("T"), asset_class="etf", name=name, currency="USD", multiplier=D(1), tick=D("0.01"),
            ref_price=D(px), lot=D(100), settle_days=1, ticker=ticker, mic="ARCX", cusip=cusip,
            isin="US" + cusip + isin_check("US" + cusip), sedol=sedol6 + sedol_check(sedol6),
        ))
    # listed options on five US names: two expiries (third Fridays after the trade date), two strikes
    expiries: list[date] = []
    y, m = trade_date.year, trade_date.month
    while len(expiries) < 2:
        f = third_friday(y, m)
        if f > trade_date:
            expiries.append(f)
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    for under in [i for i in out if i.asset_class == "equity" and i.market == "US"][:5]:
        step = D(5) if under.ref_price >= 50 else D("2.5") if under.ref_price >= 25 else D(1)
        atm = (under.ref_price / step).quantize(D(1)) * step
        for expiry in expiries:
            for strike in (atm, atm + step):
                for pc in ("C", "P"):
                    intrinsic = max(D(0), under.ref_price - strike if pc == "C" else strike - under.ref_price)
                    months = D((expiry - trade_date).days) / D(30)
                    px = (intrinsic + under.ref_price * D("0.025") * (D("0.6") + months)).quantize(D("0.05"))
                    out.append(Instrument(
                        key=key("O"), asset_class="option",
                        name=f"{under.ticker} {expiry:%d%b%y} {strike} {'Call' if pc == 'C' else 'Put'}".upper(),
                        currency="USD", multiplier=D(100), tick=D("0.05") if px >= 3 else D("0.01"),
                        ref_price=max(px, D("0.10")), lot=D(1), settle_days=1, underlying=under.ticker,
                        expiry=expiry, put_call=pc, strike=strike, occ=occ_symbol(under.ticker, expiry, pc, strike),
                    ))
    for root, name, mult, tick, px, ccy, cycle, count in FUTURES:
        for yy, mm in _front_months(trade_date, cycle, count):
            out.append(Instrument(
                key=key("F"), asset_class="future", name=f"{name} {date(yy, mm, 1):%b %Y}", currency=ccy,
                multiplier=D(mult), tick=D(tick), ref_price=D(px), lot=D(1), settle_days=1, future_root=root,
                future_code=f"{root}{MONTH_CODES[mm - 1]}{yy % 10}", future_month=f"{yy}{mm:02d}",
                market="DE" if root == "FGBL" else "JP" if root == "NIY" else "US",
            ))
    for pair, px, tick in FX_PAIRS:
        out.append(Instrument(
            key=key("X"), asset_class="fx", name=f"{pair[:3]}/{pair[3:]} spot", currency=pair[3:],
            multiplier=D(1), tick=D(tick), ref_price=D(px), lot=D(10000), settle_days=2, pair=pair, market="FX",
        ))
    for name, country, ccy, coupon, px, tick, sd in BONDS:
        if country == "US":
            cusip8 = ("91282C" + _alnum(rng, 2, "ABCDEFGHJK0123456789")) if "Treasury" in name else _alnum(rng, 6) + "AB"
            cusip = cusip8 + cusip_check(cusip8)
            isin = "US" + cusip + isin_check("US" + cusip)
            sedol = None
        elif country == "GB":
            sedol6 = "B" + _alnum(rng, 5, _SEDOL_ALPHA)
            sedol, cusip = sedol6 + sedol_check(sedol6), None
            isin = "GB00" + sedol + isin_check("GB00" + sedol)
        else:
            isin11 = "DE0001102" + _alnum(rng, 2)
            isin, cusip, sedol = isin11 + isin_check(isin11), None, None
        out.append(Instrument(
            key=key("B"), asset_class="bond", name=name, currency=ccy, multiplier=D("0.01"), tick=D(tick),
            ref_price=D(px), lot=D(1000), settle_days=sd, market=country, isin=isin, cusip=cusip, sedol=sedol,
            coupon=D(coupon), accrued_days=rng.randint(5, 170),
        ))
    return out


# ---- accounts and brokers ------------------------------------------------------------------------

# The fund (Alder Bay Capital) books to its own account codes; each trades some asset classes.
ACCOUNTS = {
    "ABC-101": {"desc": "US long/short equity", "classes": {"equity_us", "etf"}},
    "ABC-102": {"desc": "Global equity", "classes": {"equity_intl", "equity_us"}},
    "ABC-103": {"desc": "Global macro", "classes": {"future", "fx", "bond"}},
    "ABC-104": {"desc": "Volatility", "classes": {"option", "etf", "future"}},
    "ABC-105": {"desc": "Credit", "classes": {"bond", "etf"}},
    "ABC-106": {"desc": "Event driven", "classes": {"equity_us", "option"}},
    "ABC-107": {"desc": "Quant equity", "classes": {"equity_us", "etf", "future"}},
    "ABC-108": {"desc": "Treasury and cash", "classes": {"bond", "fx"}},
}


def class_of(inst: Instrument) -> str:
    if inst.asset_class == "equity":
        return "equity_us" if inst.market == "US" else "equity_intl"
    return inst.asset_class


@dataclass(frozen=True)
class Broker:
    key: str  # file and mapping name
    code: str  # the fund's OMS code for this prime broker (the broker name given to recon)
    name: str
    routes: dict  # class_of(instrument) -> routing weight

    def account(self, fund_account: str, sub: str = "") -> str:
        """The broker's own number for a fund account (sub: '' main, 'S' short box, '2' second)."""
        n = fund_account.split("-")[1]
        if self.key == "kestrel":
            return f"PB/{n}" + {"": "", "S": "-S", "2": "-2"}[sub]
        if self.key == "ashgrove":
            return f"4471-0{n}" + {"": "", "S": "", "2": "-M"}[sub]
        return f"TCL0{n}/" + {"": "A", "S": "A", "2": "B"}[sub]


BROKERS = {
    "kestrel": Broker("kestrel", "KPS", "Kestrel Prime Services",
                      {"equity_us": 55, "etf": 60, "option": 60, "future": 50, "fx": 40}),
    "ashgrove": Broker("ashgrove", "ASH", "Ashgrove Securities",
                       {"equity_us": 45, "etf": 40, "option": 40, "equity_intl": 40, "bond": 50}),
    "tollan": Broker("tollan", "TLN", "Tollan Clearing",
                     {"equity_intl": 60, "future": 50, "fx": 60, "bond": 50}),
}


def fx_usd_per_unit(universe: list[Instrument]) -> dict[str, Decimal]:
    rates = {"USD": D(1)}
    for i in universe:
        if i.asset_class != "fx":
            continue
        base, quote = i.pair[:3], i.pair[3:]
        if quote == "USD":
            rates[base] = i.ref_price
        elif base == "USD":
            rates[quote] = (D(1) / i.ref_price).quantize(D("0.000000000001"))
    return rates
