"""The run's HTML report: headline figures, control totals, charts, the breaks that matter most."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import datetime
from decimal import Decimal
from html import escape

from tasks.charts import hbar, stacked

CSS = """
body{font:14px/1.45 system-ui,sans-serif;margin:24px auto;max-width:1180px;color:#1d2433}
h1{font-size:22px;margin:0 0 4px} h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #dde}
.kpis{display:flex;gap:14px;flex-wrap:wrap;margin:14px 0}
.kpi{border:1px solid #dde;border-radius:8px;padding:10px 16px;min-width:130px}
.kpi b{display:block;font-size:22px} .ok{color:#1a7f37} .bad{color:#b42318}
table{border-collapse:collapse;width:100%;font-size:13px} td,th{border-bottom:1px solid #eef;padding:4px 8px;text-align:left}
th{background:#f6f8fa} td.n{text-align:right;font-variant-numeric:tabular-nums}
.charts{display:flex;flex-wrap:wrap;gap:24px} figure{margin:0} figcaption{font-weight:600;margin-bottom:4px}
svg text{font-size:12px;fill:#1d2433} .empty{color:#777}
"""


def _age_bucket(first_seen: datetime | None, now: datetime) -> str:
    if first_seen is None:
        return "new"
    days = (now - first_seen).total_seconds() / 86400
    return "< 1 day" if days < 1 else "1-3 days" if days < 3 else "> 3 days"


def _table(rows: list[dict], columns: list[str], numeric: set[str] = frozenset()) -> str:
    head = "".join(f"<th>{escape(c)}</th>" for c in columns)
    body = []
    for r in rows:
        cells = []
        for c in columns:
            v = r.get(c)
            if isinstance(v, Decimal):
                v = v.normalize() if v == v.to_integral() else v.quantize(Decimal("0.0001")).normalize()
            text = "" if v is None else (f"{v:,f}" if isinstance(v, Decimal) and c in numeric
                                         else f"{v:,}" if isinstance(v, int) and c in numeric else str(v))
            cls = " class='n'" if c in numeric else ""
            cells.append(f"<td{cls}>{escape(text)}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def render_report(summary: dict, breaks: list[dict], now: datetime, top: int = 30) -> str:
    by_type_broker: dict[str, dict[str, float]] = defaultdict(dict)
    money_by_type: dict[str, float] = defaultdict(float)  # USD; display only, decisions are in SQL
    unconverted: dict[str, Decimal] = defaultdict(Decimal)  # currencies without a rate for the day
    for b in breaks:
        by_type_broker[b["broker"] or "?"][b["break_type"]] = by_type_broker[b["broker"] or "?"].get(b["break_type"], 0) + 1
        if b.get("difference_usd") is not None:
            money_by_type[b["break_type"]] += float(b["difference_usd"])
        elif b["difference_amount"]:
            unconverted[b.get("currency") or "?"] += b["difference_amount"]
    aging = Counter(_age_bucket(b.get("first_seen"), now) for b in breaks)
    priorities = Counter(b.get("priority") or "-" for b in breaks)
    rate = summary.get("match_rate")
    kpis = [
        ("match rate", f"{rate:.2%}" if rate is not None else "-", "ok" if (rate or 0) >= 0.95 else "bad"),
        ("matches", f"{summary.get('matches', 0):,}", ""),
        ("open breaks", f"{len(breaks):,}", "bad" if breaks else "ok"),
        ("money at risk (USD)", f"{sum(money_by_type.values()):,.0f}", ""),
        *[(f"no USD rate: {ccy}", f"{amount:,.0f}", "bad") for ccy, amount in sorted(unconverted.items())],
        ("rejected rows", f"{summary.get('rejected', 0):,}", "bad" if summary.get("rejected") else "ok"),
        ("control totals", "balanced" if summary.get("balanced") else "NOT balanced", "ok" if summary.get("balanced") else "bad"),
    ]
    kpi_html = "".join(f"<div class='kpi'>{escape(k)}<b class='{c}'>{escape(v)}</b></div>" for k, v, c in kpis)
    files = summary.get("files", [])
    file_cols = ["source", "broker", "file", "read", "canonical", "rejected", "lifecycle_removed", "balanced"]
    sources = summary.get("sources", [])
    src_cols = ["recon", "source", "broker", "canonical", "matched", "in_breaks", "balanced"]
    ranked = sorted(breaks, key=lambda b: (-(b.get("priority_score") or 0), -float(b.get("difference_usd") or 0)))
    break_cols = [
        "priority", "break_type", "broker", "account", "instrument_id", "side", "internal_ids", "broker_ids",
        "internal_quantity", "broker_quantity", "internal_price", "broker_price", "difference_amount", "currency",
        "difference_usd", "status",
    ]
    charts = "".join(
        [
            stacked("Breaks by broker and type", by_type_broker),
            hbar("Money at risk by break type (USD)", dict(money_by_type)),
            hbar("Break aging", dict(aging)),
            hbar("Breaks by priority", dict(priorities)),
        ]
    )
    model_notes = [  # the anomaly step's caveats: a refused model, a fallback, mostly imputed features
        f"{escape(str(name))}: model {escape(str(r.get('model')))}" + "".join(
            f"; {escape(str(r[k]))}" for k in ("refused", "fallback", "imputed_note", "note") if r.get(k))
        for name, r in (summary.get("recons") or {}).items() if isinstance(r, dict) and "model" in r]
    model_html = "<h2>Anomaly model</h2><ul>" + "".join(f"<li>{n}</li>" for n in model_notes) + "</ul>" if model_notes else ""
    return f"""<!doctype html><html><head><meta charset='utf-8'><title>fix-recon {escape(str(summary.get('trade_date')))}</title>
<style>{CSS}</style></head><body>
<h1>Reconciliation report: {escape(str(summary.get('trade_date')))}</h1>
<div>run {escape(str(summary.get('run_id', '')))} &middot; generated {escape(now.strftime('%Y-%m-%d %H:%M UTC'))}</div>
<div class='kpis'>{kpi_html}</div>
<h2>Charts</h2><div class='charts'>{charts}</div>
{model_html}
<h2>Control totals: every input row read is canonical, rejected or removed by the FIX lifecycle</h2>
{_table(files, file_cols, {"read", "canonical", "rejected", "lifecycle_removed"})}
<h2>Control totals: every canonical record is matched or in a break</h2>
{_table(sources, src_cols, {"canonical", "matched", "in_breaks"})}
<h2>Breaks by type</h2>{_table([{"break_type": k, "count": v} for k, v in sorted(summary.get("breaks_by_type", {}).items())], ["break_type", "count"], {"count"})}
<h2>Top {min(top, len(ranked))} breaks</h2>{_table(ranked[:top], break_cols, {"internal_quantity", "broker_quantity", "internal_price", "broker_price", "difference_amount", "difference_usd"})}
</body></html>"""
