"""The repeating-group dictionary: per message type, count tag -> (delimiter tag, member tags, nested).

Only the groups these messages carry in FIX 4.2/4.4 drop copies are listed; a group we do not know
cannot be parsed as a group, so its member tags show up as repeated top-level tags, which is a
reject only when the normalizer needs one of those tags (see fields.split_fields).
"""

from __future__ import annotations

GroupSpec = tuple[str, frozenset[str], dict[str, "GroupSpec"]]


def _g(delim: int, members: str, nested: dict[int, GroupSpec] | None = None) -> GroupSpec:
    """A group spec from its delimiter tag, member tags as "1 2 3" and nested groups by count tag."""
    nested = nested or {}
    tags = set(members.split()) | {str(delim)} | {str(k) for k in nested}
    return str(delim), frozenset(tags), {str(k): v for k, v in nested.items()}


# Members follow the FIX 4.4 dictionary (QuickFIX's FIX44.xml; tests/fix checks them against it),
# plus the FIX 4.2 extras of AllocationInstruction's groups.
PARTIES = _g(448, "447 452", {802: _g(523, "803")})  # NoPartyIDs 453
NESTED_PARTIES = _g(524, "525 538", {804: _g(545, "805")})  # NoNestedPartyIDs 539
NESTED2_PARTIES = _g(757, "758 759", {806: _g(760, "807")})  # NoNested2PartyIDs 756
MISC_FEES = _g(137, "138 139 891")  # NoMiscFees 136
CONTRA_BROKERS = _g(375, "337 437 438 655")  # NoContraBrokers 382
SECURITY_ALT_IDS = _g(455, "456")  # NoSecurityAltID 454
STIPULATIONS = _g(233, "234")  # NoStipulations 232
CONT_AMTS = _g(519, "520 521")  # NoContAmts 518
EVENTS = _g(865, "866 867 868")  # NoEvents 864
TRD_REG_TIMESTAMPS = _g(769, "770 771")  # NoTrdRegTimestamps 768
POS_AMT = _g(707, "708")  # NoPosAmt 753
CLEARING_INSTRUCTIONS = _g(577, "")  # NoClearingInstructions 576
CAPACITIES = _g(528, "529 863")  # NoCapacities 862
INSTR_ATTRIB = _g(871, "872")  # NoInstrAttrib 870
DLVY_INST = _g(165, "787", {781: _g(782, "783 784", {801: _g(785, "786")})})  # NoDlvyInst 85

# AllocationInstruction / AllocationReport: NoAllocs 78, NoOrders 73, NoExecs 124.
ALLOCS = _g(
    79,
    "661 573 366 80 467 81 208 209 161 360 361 12 13 479 497 153 154 119 737 120 736 155 156 742 741 "
    "780 172 169 170 171 "
    "92 76 109 159 160",  # FIX 4.2 only
    {539: NESTED_PARTIES, 136: MISC_FEES, 576: CLEARING_INSTRUCTIONS, 85: DLVY_INST},
)
ORDERS = _g(11, "37 198 526 66 38 799 800 105", {756: NESTED2_PARTIES})  # 105: FIX 4.2 only
EXECS = _g(32, "17 527 31 669 29")
# TradeCaptureReport sides (NoSides 552): Account, commission, currency, gross/net are per side.
AE_SIDE_ALLOCS = _g(79, "661 736 467 80", {756: NESTED2_PARTIES})
AE_SIDES = _g(
    54,
    "37 198 11 526 66 1 660 581 81 575 578 579 821 15 376 377 528 529 582 40 18 483 336 625 943 12 13 "
    "479 497 381 157 230 158 159 738 920 921 922 238 237 118 119 120 155 156 77 58 354 355 752 825 826 "
    "591 70",
    {
        453: PARTIES,
        576: CLEARING_INSTRUCTIONS,
        518: CONT_AMTS,
        232: STIPULATIONS,
        136: MISC_FEES,
        78: AE_SIDE_ALLOCS,
    },
)


def _table(groups: dict[int, GroupSpec]) -> dict[str, GroupSpec]:
    return {str(k): v for k, v in groups.items()}


_ALLOC_GROUPS = {
    73: ORDERS,
    124: EXECS,
    454: SECURITY_ALT_IDS,
    864: EVENTS,
    870: INSTR_ATTRIB,
    453: PARTIES,
    232: STIPULATIONS,
    78: ALLOCS,
}
GROUPS: dict[str, dict[str, GroupSpec]] = {
    "8": _table(
        {
            453: PARTIES,
            382: CONTRA_BROKERS,
            454: SECURITY_ALT_IDS,
            864: EVENTS,
            232: STIPULATIONS,
            518: CONT_AMTS,
            136: MISC_FEES,
        }
    ),
    "AE": _table({454: SECURITY_ALT_IDS, 864: EVENTS, 753: POS_AMT, 768: TRD_REG_TIMESTAMPS, 552: AE_SIDES}),
    "J": _table(_ALLOC_GROUPS),
    "AS": _table(_ALLOC_GROUPS),
    "AK": _table(
        {
            453: PARTIES,
            73: ORDERS,
            768: TRD_REG_TIMESTAMPS,
            454: SECURITY_ALT_IDS,
            864: EVENTS,
            870: INSTR_ATTRIB,
            862: CAPACITIES,
            85: DLVY_INST,
            232: STIPULATIONS,
            136: MISC_FEES,
        }
    ),
}
EMPTY: dict[str, GroupSpec] = {}
# Count tags that mean "multi-leg" or "underlyings": parsed, then refused by the normalizer.
UNSUPPORTED_GROUPS = {"555": "NoLegs", "711": "NoUnderlyings"}

TAG_NAMES = {
    "1": "Account",
    "6": "AvgPx",
    "11": "ClOrdID",
    "12": "Commission",
    "13": "CommType",
    "15": "Currency",
    "17": "ExecID",
    "19": "ExecRefID",
    "20": "ExecTransType",
    "22": "SecurityIDSource",
    "30": "LastMkt",
    "31": "LastPx",
    "32": "LastQty",
    "35": "MsgType",
    "37": "OrderID",
    "39": "OrdStatus",
    "43": "PossDupFlag",
    "48": "SecurityID",
    "53": "Quantity",
    "54": "Side",
    "55": "Symbol",
    "60": "TransactTime",
    "64": "SettlDate",
    "70": "AllocID",
    "71": "AllocTransType",
    "72": "RefAllocID",
    "73": "NoOrders",
    "75": "TradeDate",
    "77": "PositionEffect",
    "78": "NoAllocs",
    "79": "AllocAccount",
    "80": "AllocQty",
    "87": "AllocStatus",
    "97": "PossResend",
    "118": "NetMoney",
    "124": "NoExecs",
    "136": "NoMiscFees",
    "137": "MiscFeeAmt",
    "150": "ExecType",
    "153": "AllocAvgPx",
    "154": "AllocNetMoney",
    "167": "SecurityType",
    "200": "MaturityMonthYear",
    "201": "PutOrCall",
    "202": "StrikePrice",
    "207": "SecurityExchange",
    "381": "GrossTradeAmt",
    "453": "NoPartyIDs",
    "487": "TradeReportTransType",
    "541": "MaturityDate",
    "552": "NoSides",
    "555": "NoLegs",
    "571": "TradeReportID",
    "572": "TradeReportRefID",
    "664": "ConfirmID",
    "665": "ConfirmStatus",
    "666": "ConfirmTransType",
    "711": "NoUnderlyings",
    "755": "AllocReportID",
    "772": "ConfirmRefID",
    "795": "AllocReportRefID",
}


def tag_name(tag: str) -> str:
    """ "LastPx(31)" for reject reasons; "tag 9999" when we have no name for it."""
    name = TAG_NAMES.get(tag)
    return f"{name}({tag})" if name else f"tag {tag}"
