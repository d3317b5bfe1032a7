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
        day_dir: Path | None = typer.Option(None, "--day", help="A landing directory (reference/, internal/, broker/, dropcopy/)."),
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
        if not (day_dir or internal or broker or dropcopy):
            fail("nothing to ingest", "give --day DIR, or --internal / --broker / --dropcopy files")
        if trade_date:
            try:
                date.fromisoformat(trade_date)
            except ValueError:
                fail(f"--trade-date {trade_date!r} is not YYYY-MM-DD")
        from blocks.warehouse import Warehouse
        from recon.inputs import from_args
        from recon.mapping.load import SourceFileError
        from recon.mapping.spec import MappingError
        from tasks.land import land_dropcopy, land_file, land_instruments

        try:
            day = from_args(day_dir, instruments, internal, broker, dropcopy).check_files()
        except (FileNotFoundError, ValueError) as exc:
            fail(str(exc))
        wh = Warehouse(duckdb_path=str(warehouse)) if warehouse else Warehouse()
        run = {"run_id": run_id}
        totals: list[dict] = []
        try:
            with console.status("ingesting...") as status:
                if day.instruments:
                    status.update(f"instrument master {day.instruments}")
                    land_instruments(day.model_dump(), wh)
                for f in day.mapped_files():  # always landed again: a mapping may have changed
                    status.update(f"{f.path} ({f.mapping})")
                    totals.append(land_file(f.model_dump(), trade_date, run, True, wh))
                for batch in day.dropcopy_batches():
                    status.update(f"{batch['broker']} drop copy")
                    totals += land_dropcopy(batch, day.model_dump(), trade_date, run, True, wh)
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
