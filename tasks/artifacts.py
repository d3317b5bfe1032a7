"""Prefect artifacts for a run: what a developer sees in the UI without opening files."""

from __future__ import annotations

from prefect import task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE

from blocks.warehouse import get_warehouse
from tasks.results import EXPORT


def breaks_by_type_and_broker(warehouse_ref: str | None, trade_date, run_id: str) -> list[dict]:
    return get_warehouse(warehouse_ref).fetch_rows(EXPORT.open_breaks_by_broker_and_type, {"d": trade_date, "r": run_id})


def summary_markdown(summary: dict) -> str:
    rate = summary.get("match_rate")
    lines = [
        f"# Reconciliation {summary['trade_date']}",
        "",
        f"- match rate: **{rate:.2%}**" if rate is not None else "- match rate: n/a",
        f"- matches: {summary['matches']:,}; open breaks: {summary['breaks']:,}; rejected rows: {summary['rejected']:,}",
        f"- control totals: {'balanced' if summary['balanced'] else '**NOT balanced**'}",
        "",
        "| source | broker | file | read | canonical | rejected | lifecycle |",
        "|---|---|---|---:|---:|---:|---:|",
    ]
    for f in summary["files"]:
        lines.append(
            f"| {f['source']} | {f['broker'] or ''} | {f['file']} | {f['read']:,} | {f['canonical']:,} | "
            f"{f['rejected']:,} | {f['lifecycle_removed']:,} |"
        )
    lines += ["", "| recon | source | broker | canonical | matched | in breaks |", "|---|---|---|---:|---:|---:|"]
    for s in summary["sources"]:
        lines.append(
            f"| {s['recon']} | {s['source']} | {s['broker'] or ''} | {s['canonical']:,} | {s['matched']:,} | {s['in_breaks']:,} |"
        )
    return "\n".join(lines)


@task(name="publish-artifacts", cache_policy=NO_CACHE)
def publish_artifacts_task(summary: dict, warehouse_ref: str | None = None) -> list[str]:
    """Artifacts belong to a Prefect run: a Step Functions execution (no Prefect API) skips them."""
    from prefect.context import TaskRunContext

    if TaskRunContext.get() is None:
        return []
    rows = breaks_by_type_and_broker(warehouse_ref, summary["trade_date"], summary["run_id"])
    key = f"recon-{summary['trade_date']}"
    table_id = create_table_artifact(
        key=f"{key}-breaks", table=[{k: str(v) for k, v in r.items()} for r in rows],
        description=f"Open breaks by broker and type, {summary['trade_date']}",
    )
    md_id = create_markdown_artifact(key=f"{key}-summary", markdown=summary_markdown(summary),
                                     description="Match rate and control totals")
    return [str(table_id), str(md_id)]
