"""`recon ingest`: land files in the warehouse through their mappings and print control totals;
`recon mappings`: list, check and show the SQL of source layouts."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import typer

from cli.common import console, fail, table

_COLUMNS = ["file", "mapping", "broker", "read", "canonical", "rejected", "reasons", "trailer"]


def _row(t: dict) -> dict:
    reasons = ", ".join(f"{k} {v}" for k, v in sorted(t["rejected_by_reason"].items()))
    trailer = t["trailer_status"] if t["trailer_count"] is None else f"{t['trailer_status']} ({t['trailer_count']})"
    return {
        "mapping": t["mapping"],
        "broker": t["broker"] or "",
        "file": Path(t["file"]).name,
        "read": t["rows_read"],
        "canonical": t["canonical"],
        "rejected": t["rejected"],
        "reasons": reasons,
        "trailer": trailer if t["trailer_status"] != "none" else "",
    }


def register(app: typer.Typer) -> None:
    @app.command("ingest")
    def ingest(
        day: Path | None = typer.Option(None, "--day", help="A day directory (reference/, internal/, broker/, dropcopy/)."),
        instruments: Path | None = typer.Option(None, "--instruments", help="Instrument master CSV."),
        internal: list[str] = typer.Option([], "--internal", help="PATH[:MAPPING] of an internal file (mapping default: oms). Repeatable."),
        broker: list[str] = typer.Option([], "--broker", help="NAME=PATH[:MAPPING] of a broker file (mapping default: NAME). Repeatable."),
        dropcopy: list[str] = typer.Option([], "--dropcopy", help="NAME=PATH of a broker's FIX drop-copy file. Repeatable."),
        trade_date: str | None = typer.Option(None, "--trade-date", help="YYYY-MM-DD, recorded with the control totals."),
        run_id: str | None = typer.Option(None, "--run-id", help="Recorded with the control totals."),
        warehouse: Path | None = typer.Option(None, "--warehouse", help="DuckDB file (default: RECON_HOME/warehouse.duckdb)."),
        as_json: bool = typer.Option(False, "--json", help="Print the control totals as JSON."),
        fail_on_rejects: bool = typer.Option(False, "--fail-on-rejects", help="Exit 1 when any row was rejected."),
    ) -> None:
        """Ingest source files: each data row becomes a canonical execution or a reject with its reason.

        Example: recon ingest --instruments ref/instruments.csv --internal oms.csv
        --broker northbridge=nb.csv --broker acme=acme.txt:mappings/acme.yaml
        """
        if not (day or internal or broker or dropcopy):
            fail("nothing to ingest", "give --day DIR, or --internal / --broker / --dropcopy files")
        if trade_date:
            try:
                date.fromisoformat(trade_date)
            except ValueError:
                fail(f"--trade-date {trade_date!r} is not YYYY-MM-DD")
        from blocks.warehouse import Warehouse
        from recon.mapping.inputs import plan_inputs
        from recon.mapping.load import SourceFileError
        from recon.mapping.spec import MappingError
        from tasks.ingest import ingest_dropcopy, ingest_file, load_instruments

        try:
            plan = plan_inputs(str(day) if day else None, str(instruments) if instruments else None,
                               internal, broker, dropcopy)
        except MappingError as exc:
            fail(str(exc))
        wh = Warehouse(duckdb_path=str(warehouse)) if warehouse else Warehouse()
        totals: list[dict] = []
        try:
            with console.status("ingesting...") as status:
                if plan.instruments:
                    status.update(f"instrument master {plan.instruments}")
                    load_instruments(wh, plan.instruments)
                for f in plan.files:
                    status.update(f"{f.path} ({f.mapping})")
                    totals.append(ingest_file(wh, f.path, f.mapping, f.broker, trade_date, run_id))
                for name, paths in sorted(plan.dropcopy.items()):
                    status.update(f"{name} drop copy")
                    totals += ingest_dropcopy(wh, paths, name, plan.instruments, trade_date, run_id)
        except (MappingError, SourceFileError, FileNotFoundError) as exc:
            fail(str(exc))
        finally:
            wh.close()
        if as_json:
            typer.echo(json.dumps(totals, indent=2, default=str))
        else:
            console.print(table("control totals", [_row(t) for t in totals], _COLUMNS))
        if fail_on_rejects and any(t["rejected"] or t["file_errors"] for t in totals):
            raise typer.Exit(1)

    @app.command("mappings")
    def mappings(
        check: Path | None = typer.Option(None, "--check", help="Validate a mapping YAML file."),
        show_sql: str | None = typer.Option(None, "--sql", help="Print the normalizing SQL of a mapping (name or path)."),
    ) -> None:
        """List the source layouts in mappings/, check a new one, or show the SQL a layout compiles to."""
        from recon.mapping.compile_sql import compile_mapping
        from recon.mapping.load import raw_column_name
        from recon.mapping.spec import MappingError, available_mappings, load_mapping

        try:
            if check or show_sql:
                spec = load_mapping(check or show_sql)
                if show_sql:
                    cols = spec.columns()
                    sql = compile_mapping(spec, cols, {c: raw_column_name(c) for c in cols})
                    typer.echo(sql.executions_sql + ";\n\n" + sql.rejects_sql + ";")
                else:
                    console.print(f"[green]ok[/] {spec.path}: {spec.name} ({spec.source}), columns: {', '.join(spec.columns())}")
                return
            specs = [load_mapping(n) for n in available_mappings()]
        except MappingError as exc:
            fail(str(exc))
        rows = [{"name": s.name, "source": s.source, "delimiter": s.file.delimiter,
                 "trailer": s.file.trailer_prefix or "", "description": s.description} for s in specs]
        console.print(table("mappings", rows))
