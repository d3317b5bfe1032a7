"""The instruments a generated day trades: static tables (tickers, futures, FX pairs, bonds) with
each one's reference price. reference.py turns them into InstSpecs with identifiers and a day range.
"""

# Fictional issuers: real-looking tickers, none of them a real listing.
EQUITIES = [
    ("ACMX", "XNAS", 187.0),
    ("BRVO", "XNAS", 64.5),
    ("CNTR", "XNAS", 212.0),
    ("DLTX", "XNAS", 38.2),
    ("ELVN", "XNAS", 421.0),
    ("FNXT", "XNAS", 92.7),
    ("GLYD", "XNAS", 15.4),
    ("HLXA", "XNAS", 133.0),
    ("IONQR", "XNAS", 27.9),
    ("JVLN", "XNAS", 310.5),
    ("KRNL", "XNAS", 77.3),
    ("LUMQ", "XNAS", 54.1),
    ("MRDN", "XNAS", 146.8),
    ("NOVX", "XNAS", 9.85),
    ("OPTK", "XNAS", 268.0),
    ("PXLR", "XNAS", 45.6),
    ("QNTM", "XNAS", 118.2),
    ("RVTA", "XNAS", 73.0),
    ("SYNR", "XNAS", 199.9),
    ("TRVX", "XNAS", 24.3),
    ("AXR", "XNYS", 58.4),
    ("BKG", "XNYS", 102.3),
    ("CLV", "XNYS", 36.7),
    ("DRM", "XNYS", 88.1),
    ("EGR", "XNYS", 142.6),
    ("FRT", "XNYS", 19.9),
    ("GMX", "XNYS", 251.4),
    ("HRN", "XNYS", 67.2),
    ("IVC", "XNYS", 44.8),
    ("JKL", "XNYS", 174.5),
    ("KPW", "XNYS", 31.1),
    ("LTN", "XNYS", 96.0),
    ("MCR", "XNYS", 121.7),
    ("NWL", "XNYS", 12.6),
    ("OXB", "XNYS", 83.9),
    ("PGE", "XNYS", 29.4),
    ("QRS", "XNYS", 61.3),
    ("RMC", "XNYS", 205.2),
    ("SLT", "XNYS", 47.5),
    ("TWB", "XNYS", 158.3),
]
ETFS = [
    ("USBM", "ARCX", 512.0),
    ("QTCH", "XNAS", 438.0),
    ("SMLC", "ARCX", 221.0),
    ("DIVQ", "ARCX", 81.4),
    ("AGGB", "ARCX", 98.6),
    ("EMKT", "ARCX", 42.3),
    ("GLDX", "ARCX", 241.0),
    ("TLTB", "XNAS", 92.1),
]
OPTION_UNDERLYINGS = ["ACMX", "ELVN", "CNTR", "JVLN", "AXR", "GMX"]
FUTURES = [  # root, description, multiplier, tick, price, quarterly months?
    ("ES", "E-mini S&P 500", "50", "0.25", 6012.0, True),
    ("NQ", "E-mini Nasdaq-100", "20", "0.25", 21040.0, True),
    ("CL", "WTI crude oil", "1000", "0.01", 71.35, False),
    ("ZN", "10-year T-note", "1000", "0.015625", 110.5, True),
]
FX_PAIRS = [
    ("EURUSD", 1.0842),
    ("GBPUSD", 1.2671),
    ("USDJPY", 151.37),
    ("AUDUSD", 0.6563),
    ("USDCHF", 0.8812),
    ("USDCAD", 1.3938),
]
FX_FORWARDS = [("EURUSD", 1), ("EURUSD", 3), ("USDJPY", 1), ("GBPUSD", 3)]
BONDS = [  # issuer code, description, coupon, maturity year, price, treasury?
    ("91282C", "UST 2Y", "4.250", 2028, 100.12, True),
    ("91282C", "UST 5Y", "4.125", 2031, 99.40, True),
    ("91282C", "UST 10Y", "4.375", 2036, 98.75, True),
    ("912810", "UST 30Y", "4.625", 2056, 96.10, True),
    ("459200", "Arcton Industries 5.1%", "5.100", 2033, 101.85, False),
    ("302491", "Bellweather Energy 6.25%", "6.250", 2030, 103.40, False),
    ("637432", "Corvane Health 4.8%", "4.800", 2035, 97.25, False),
    ("88579Y", "Dunmore Telecom 5.5%", "5.500", 2029, 100.65, False),
]
MONTH_CODES = "FGHJKMNQUVXZ"
