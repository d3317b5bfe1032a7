"""Matching: internal records against one broker-side source, as SQL passes in the warehouse.

The passes live in sql/5x_*.sql and run in file order; each links records it can explain and the
next sees only what is left. The result stays in the warehouse (w_matches, w_breaks_final); the
task returns a small summary so states stay small when this runs as a Step Functions task.
"""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

import pyarrow as pa
from prefect import task
from prefect.cache_policies import NO_CACHE

from blocks.warehouse import SqlStatements, Warehouse, get_warehouse, literal_binds, sql_file
from recon.matching_rules import MatchingRules
from tasks.tolerances import tolerances_table

# Order matters: matching passes first, then break pairings, then what is left. Aggregates go
# before tolerance pairing: an order's fills are summed against their allocation before a
# look-alike single broker record can take one of them (same results on generated days, and the
# tolerance join then runs on a few percent of the day instead of every unmatched fill).
PASSES = [
    "51_match_exact.sql",
    "52_match_aggregate.sql",
    "53_match_tolerance.sql",
    "54_match_many_to_many.sql",
    "55_break_duplicates.sql",
    "56_break_mismatch.sql",
    "57_break_missing.sql",
]
# 1:1 passes that build candidate pairs (w_cands) and link them by rounds of mutual best choice:
# a round links a share of the candidates, so it repeats until it links nothing.
PAIRING_PASSES = {"53_match_tolerance.sql", "56_break_mismatch.sql"}
# Passes run more than once, with these extra binds: aggregates group the internal side, then the broker side.
PASS_RUNS = {"52_match_aggregate.sql": [{"group_side": "L"}, {"group_side": "R"}]}
MAX_ROUNDS = 10
NEW_YORK = ZoneInfo("America/New_York")
RECONS = ("broker", "dropcopy")
SOURCES = SqlStatements("48_match_source.sql")
COUNTS = SqlStatements("63_match_counts.sql")


def prepare_scope(wh: Warehouse, brokers: list[str] | None, accounts: list[str] | None,
                  rules: MatchingRules | None = None) -> None:  # fmt: skip
    wh.run_file("49_match_setup.sql")
    wh.load_arrow("w_tolerances", tolerances_table(rules))
    if brokers:
        wh.load_arrow("w_scope_brokers", pa.table({"broker": list(brokers)}))
    if accounts:
        wh.load_arrow("w_scope_accounts", pa.table({"account": list(accounts)}))


def match_day(
    wh: Warehouse,
    trade_date: date,
    recon: str = "broker",
    brokers: list[str] | None = None,
    accounts: list[str] | None = None,
    rules: MatchingRules | None = None,
) -> dict:
    """Run every pass for one day and one pair (internal vs `recon`); -> counts per pass."""
    params = select_candidates(wh, trade_date, recon, brokers, accounts, rules)
    if recon != "broker" and not wh.scalar(COUNTS.broker_side_candidates):
        # No drop copy at all for the day: nothing to reconcile against, not a day of breaks.
        return {"recon": recon, "skipped": True, "reason": f"no {recon} records for {trade_date}"}
    run_passes(wh, params)
    return {"recon": recon, **match_summary(wh)}


def select_candidates(wh: Warehouse, trade_date: date, recon: str, brokers=None, accounts=None, rules=None,
                      source_sql: str | None = None) -> dict:
    """The day's records of the pair, in scope, as the view w_candidates; -> the binds the passes use.

    source_sql defines the view w_source the candidates are drawn from (default: all executions)."""
    if recon not in RECONS:
        raise ValueError(f"recon must be one of {RECONS}, not {recon!r}")
    prepare_scope(wh, brokers, accounts, rules)
    params = {"trade_date": date.fromisoformat(str(trade_date)), "right_source": recon, "recon": recon}
    wh.execute(source_sql or source_view(bool(brokers), bool(accounts)))
    wh.execute(literal_binds(_sql("50_match_scope.sql"), params))
    return params


def source_view(by_broker: bool, by_account: bool) -> str:
    """w_source: all of executions, or only the scope's brokers/accounts (sql/48_match_source.sql)."""
    if by_broker and by_account:
        return SOURCES.brokers_and_accounts
    return SOURCES.brokers if by_broker else SOURCES.accounts if by_account else SOURCES.all


def run_passes(wh: Warehouse, params: dict) -> None:
    """Every pass over the candidates already in w_candidates, then classification and outputs."""
    link_records(wh, params)
    classify_links(wh, params)


def link_records(wh: Warehouse, params: dict) -> None:
    """The matching passes: every candidate ends in exactly one link (w_links)."""
    for name in PASSES:
        for extra in PASS_RUNS.get(name, [{}]):
            wh.execute(_sql(name), params | extra)
        if name in PAIRING_PASSES:
            for _ in range(MAX_ROUNDS):
                wh.execute(_sql("46_pair_round.sql"))
                if not wh.scalar(COUNTS.round_steps):
                    break
                wh.execute(_sql("47_link_pairs.sql"))
                if not wh.scalar(COUNTS.candidates_left):
                    break


def classify_links(wh: Warehouse, params: dict) -> None:
    """Each link -> a match or a typed break (w_results), then the outputs (w_matches, w_breaks)."""
    wh.execute(_sql("58_classify.sql"), params)
    linked, candidates = wh.fetch_rows(COUNTS.control_totals)[0].values()
    if (linked or 0) != candidates:
        raise RuntimeError(f"control totals: {candidates} candidate records but {linked} in classified links")
    wh.execute(_sql("59_outputs.sql"), params)


def match_summary(wh: Warehouse) -> dict:
    per_pass = {r["pass"]: r["n"] for r in wh.fetch_rows(COUNTS.links_per_pass)}
    sides = wh.fetch_rows(COUNTS.outcomes_per_side)
    counts = {f"{side}_{r['outcome']}": int(r[f"{side.lower()}_n"]) for r in sides for side in ("L", "R")}
    candidates = {r["side_of"]: r["n"] for r in wh.fetch_rows(COUNTS.candidates_per_side)}
    return {
        "candidates_internal": candidates.get("L", 0),
        "candidates_broker": candidates.get("R", 0),
        "internal_matched": counts.get("L_matched", 0),
        "internal_in_breaks": counts.get("L_break", 0),
        "broker_matched": counts.get("R_matched", 0),
        "broker_in_breaks": counts.get("R_break", 0),
        "records_per_pass": per_pass,
        "matches": wh.scalar(COUNTS.matches_count),
        "breaks": wh.scalar(COUNTS.breaks_count),
    }


def _sql(name: str) -> str:
    return sql_file(name)


@task(name="match", cache_policy=NO_CACHE, retries=1, retry_delay_seconds=5)
def match_task(
    trade_date: date,
    recon: str = "broker",
    brokers: list[str] | None = None,
    accounts: list[str] | None = None,
    warehouse_ref: str | None = None,
) -> dict:
    return match_day(get_warehouse(warehouse_ref), trade_date, recon, brokers, accounts)
