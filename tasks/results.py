"""A run's results: persisted per trade date, summarised with control totals, exported as files.

Control totals are asserted, not just shown: every input row is canonical or rejected (or removed
by the FIX lifecycle, counted), and every canonical record in scope is matched or in a break.
"""

from __future__ import annotations

import csv
import json
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from prefect import task
from prefect.cache_policies import NO_CACHE

from blocks.warehouse import SqlStatements, Warehouse, get_warehouse
from recon import clock
from tasks.report import render_report

EXPORT = SqlStatements("65_results_export.sql")
MATCH_COLUMNS = ["match_id", "match_type", "internal_ids", "broker_ids"]
BREAK_COLUMNS = [
    "break_id", "break_type", "broker", "account", "instrument_id", "side", "trade_date", "internal_ids",
    "broker_ids", "internal_quantity", "broker_quantity", "internal_price", "broker_price", "difference_amount",
    "currency", "difference_usd", "priority", "status", "anomaly_score", "anomaly_explanation", "recon",
]


def persist_results(wh: Warehouse, trade_date: date, recon: str, run_id: str) -> None:
    """Replace the day's matches and record outcomes (in scope) with this run's."""
    wh.ensure_schema("21_results.sql")
    wh.run_file("61_publish_results.sql", {"trade_date": trade_date, "recon": recon, "run_id": run_id})


def source_totals(wh: Warehouse, trade_date: date) -> list[dict]:
    """Per reconciliation and source: canonical records of the day vs matched + in breaks."""
    rows = wh.fetch_rows(EXPORT.source_totals, {"d": trade_date})
    for r in rows:
        r["balanced"] = r["canonical"] == r["matched"] + r["in_breaks"]
    return rows


def file_totals(ingested: list[dict]) -> list[dict]:
    """Per input file (the landing's control totals, tasks/land.py): read == canonical + rejected
    + removed by the FIX lifecycle."""
    out = []
    for t in ingested:
        removed = int(t.get("lifecycle_removed", 0))
        row = {
            "source": t.get("source"),
            "broker": t.get("broker"),
            "file": Path(str(t.get("file", ""))).name,
            "read": int(t["rows_read"]),
            "canonical": int(t["canonical"]),
            "rejected": int(t["rejected"]),
            "lifecycle_removed": removed,
        }
        row["balanced"] = row["read"] == row["canonical"] + row["rejected"] + removed
        out.append(row)
    return out


def build_summary(wh: Warehouse, trade_date: date, run_id: str, ingested: list[dict], recons: list[dict]) -> dict:
    per_source = source_totals(wh, trade_date)
    files = file_totals(ingested)
    breaks_by_type = {
        r["break_type"]: r["n"] for r in wh.fetch_rows(EXPORT.open_breaks_by_type, {"d": trade_date, "r": run_id})
    }
    broker_recon = [s for s in per_source if s["recon"] == "broker"]
    canonical = sum(s["canonical"] for s in broker_recon)
    matched = sum(s["matched"] for s in broker_recon)
    return {
        "trade_date": trade_date.isoformat(),
        "run_id": run_id,
        "match_rate": (matched / canonical) if canonical else None,
        "matches": sum(r.get("matches", 0) for r in recons),
        "breaks": sum(breaks_by_type.values()),
        "breaks_by_type": breaks_by_type,
        "rejected": sum(f["rejected"] for f in files),
        "files": files,
        "sources": per_source,
        "recons": {r["recon"]: r for r in recons},
        "balanced": all(s["balanced"] for s in per_source) and all(f["balanced"] for f in files),
    }


def run_breaks(wh: Warehouse, trade_date: date, run_id: str) -> list[dict]:
    """The run's open breaks, most urgent first, with the money at risk in USD (NULL without a rate)."""
    return wh.fetch_rows(EXPORT.run_breaks, {"d": trade_date, "r": run_id})


def _csv_value(v) -> str:
    if v is None:
        return ""
    if isinstance(v, Decimal):
        return format(v.normalize(), "f") if v == v.to_integral() else format(v, "f").rstrip("0").rstrip(".")
    if isinstance(v, date | datetime):
        return v.isoformat()
    return str(v)


def write_csv(path: Path, rows: list[dict], columns: list[str]) -> None:
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(columns)
        for r in rows:
            w.writerow([_csv_value(r.get(c)) for c in columns])


def export_results(
    wh: Warehouse, trade_date: date, run_id: str, out_dir: str, ingested: list[dict], recons: list[dict],
    incidents: dict | None = None,
) -> dict:
    """Write matches.csv, breaks.csv, summary.json and report.html into out_dir; -> the summary."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    summary = {**build_summary(wh, trade_date, run_id, ingested, recons), "incidents": incidents or {}}
    matches = wh.fetch_rows(EXPORT.day_matches, {"d": trade_date})
    write_csv(out / "matches.csv", matches, [*MATCH_COLUMNS, "recon", "broker", "account", "instrument_id"])
    breaks = run_breaks(wh, trade_date, run_id)
    write_csv(out / "breaks.csv", breaks, BREAK_COLUMNS)
    (out / "summary.json").write_text(json.dumps(summary, indent=2, default=_csv_value))
    now = clock.utcnow()
    (out / "report.html").write_text(render_report(summary, breaks, now))
    return summary


@task(name="export-results", cache_policy=NO_CACHE)
def export_results_task(
    trade_date: date, run: dict, landed: list[dict], dropcopy: list[list[dict]], recons: list[dict],
    incidents: dict | None = None, warehouse_ref: str | None = None,
) -> dict:
    """Write the run's files; -> the summary (with out_dir), small enough for a state's payload.
    landed: totals per mapped file; dropcopy: per broker batch, totals per file."""
    ingested = [*landed, *(t for batch in dropcopy for t in batch)]
    summary = export_results(
        get_warehouse(warehouse_ref), trade_date, run["run_id"], run["out_dir"], ingested, recons, incidents,
    )
    return {**summary, "out_dir": run["out_dir"]}
