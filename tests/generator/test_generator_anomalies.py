"""Labelled anomalies: both sides book them the same way, each kind in several magnitudes, some on
broken links, and the labelled feature really stands out."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from genday_helpers import ANOMALY_RATE, N_TRADES

from recon.generator.anomalies import ANOMALY_FEATURES, CLOSE_MINUTE, OPEN_MINUTE
from recon.generator.reference import BROKER_SCHEDULES


def test_every_kind_present_at_the_rate(day):
    anomalies = day.truth["anomalies"]
    assert len(anomalies) == round(N_TRADES * ANOMALY_RATE)
    assert {a["kind"] for a in anomalies} == set(ANOMALY_FEATURES)
    assert all(a["feature"] == ANOMALY_FEATURES[a["kind"]] for a in anomalies)


def test_some_anomalies_sit_on_broken_links(day):
    broken = {i: b["type"] for b in day.truth["breaks"] for i in b["internal"]}
    on_breaks = [a for a in day.truth["anomalies"] if a["internal"][0] in broken]
    assert on_breaks, "a share of the anomalies is booked on a link that is also a break"
    assert {broken[a["internal"][0]] for a in on_breaks} <= {"MISSING_AT_BROKER", "SETTLEMENT_DATE_MISMATCH"}


def test_anomalies_are_booked_alike_and_stand_out(day):
    matched = {rid for m in day.truth["matches"] for rid in m["internal"] + m["broker"]}
    broken = {rid for b in day.truth["breaks"] for rid in b["internal"] + b["broker"]}
    rows = dict(day.internal)
    for b in day.broker.values():
        rows.update(b)
    for a in day.truth["anomalies"]:
        ids = a["internal"] + a["broker"]
        assert set(ids) <= matched or set(ids) <= broken, a
        r = rows[a["internal"][0]]
        for i, b in zip(a["internal"], a["broker"], strict=False):  # the broker books the same economics
            x, y = rows[i], rows[b]
            assert (x["account"], x["quantity"], x["price"], x["commission"]) == (
                y["account"], y["quantity"], y["price"], y["commission"]), a
        inst = day.master.instruments[r["instrument_id"]]
        md = day.market[r["instrument_id"]]
        vwap, low, high = Decimal(md["vwap"]), Decimal(md["low"]), Decimal(md["high"])
        kind = a["kind"]
        if kind == "fat_finger_price":
            assert abs(r["price"] - vwap) >= 2 * (high - low) / 2 * Decimal("0.99"), a
        elif kind == "off_market":
            assert r["price"] < low or r["price"] > high, a
            assert abs(r["price"] - vwap) < 2 * (high - low), a
        elif kind == "wrong_account":
            assert inst.asset_class not in day.accounts[r["account"]], a
        elif kind == "new_account":
            assert r["account"] not in day.accounts, a
        elif kind == "off_hours":
            minute = r["transact_time"].hour * 60 + r["transact_time"].minute
            cls = inst.asset_class
            assert minute < OPEN_MINUTE[cls] - 14 or minute > CLOSE_MINUTE[cls] + 14, a
        elif kind == "notional_outlier":
            usual = [x["quantity"] for x in day.internal.values() if x["instrument_id"] == r["instrument_id"]]
            assert r["quantity"] >= 2 * sorted(usual)[len(usual) // 2], a
        elif kind == "commission_spike":
            basis, rate = BROKER_SCHEDULES[a["broker_name"]][inst.asset_class]
            base = (
                r["quantity"] * Decimal(rate)
                if basis == "per_unit"
                else (r["quantity"] * r["price"] * inst.multiplier * Decimal(rate) / 10000)
            )
            assert r["commission"] >= 2 * base - Decimal("0.01") and r["commission"] <= 60 * base + Decimal("0.01"), a
        elif kind == "duplicate_booking":
            assert len(a["internal"]) == len(a["broker"]) == 2
            keys = {
                (x["account"], x["instrument_id"], x["side"], x["quantity"], x["price"])
                for x in (rows[i] for i in ids)
            }
            assert len(keys) == 1
        elif kind == "wash_trade":
            buy, sell = (rows[i] for i in a["internal"])
            assert (buy["account"], buy["instrument_id"], buy["quantity"]) == (
                sell["account"],
                sell["instrument_id"],
                sell["quantity"],
            )
            assert {buy["side"], sell["side"]} & {"buy", "buy_to_cover"} and {buy["side"], sell["side"]} & {
                "sell",
                "sell_short",
            }
            assert abs(sell["transact_time"] - buy["transact_time"]) <= timedelta(minutes=10)
        if kind not in ("off_market", "fat_finger_price"):
            # other kinds keep a normal price inside the day's range
            assert low <= r["price"] <= high or r["record_kind"] == "fill", a


def test_normal_prices_stay_in_the_days_range(day):
    anomalous = {i for a in day.truth["anomalies"] for i in a["internal"]}
    breaks = {i for b in day.truth["breaks"] for i in b["internal"]}
    for rid, r in day.internal.items():
        if rid in anomalous or rid in breaks:
            continue
        md = day.market[r["instrument_id"]]
        tick = Decimal(md["tick"])
        # average prices may carry sub-tick noise of a tolerance match
        assert Decimal(md["low"]) - tick <= r["price"] <= Decimal(md["high"]) + tick, rid
