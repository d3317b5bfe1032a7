"""asl_export: compile time and the local Step Functions run (moto's ASL interpreter) against
baselines measured in the same run.

Baselines: compile -> Prefect's own parameter_schema() of the same flow (the cheapest per-flow
introspection Prefect does); local runs -> calling the same task functions directly in Python (what
the state machine does, minus the interpreter, the Lambda dispatch and the JSON encoding).
Run: .venv/bin/python bench/bench_asl_export.py [--repeat 3] [--map-sizes 10,100,400]
"""

from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")

from prefect.utilities.callables import parameter_schema
from rich.console import Console
from rich.table import Table

from asl_export import compile_flow
from asl_export.local import LocalStepFunctions
from bench import asl_bench_flows as bf


def best(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--map-sizes", default="10,100,400")
    args = parser.parse_args()
    sizes = [int(s) for s in args.map_sizes.split(",")]
    from flows.daily import daily_reconciliation

    rows = []
    for flow in (bf.chain_flow, bf.fanout_flow, daily_reconciliation):
        machine = compile_flow(flow)
        base = best(lambda f=flow: parameter_schema(f.fn), args.repeat)
        took = best(lambda f=flow: compile_flow(f), args.repeat)
        rows.append(("compile", flow.name, f"{machine.metrics['states']} states", base, took))

    with LocalStepFunctions(sleep=lambda s: None) as sfn:
        chain = compile_flow(bf.chain_flow)
        sfn.run(chain, {})  # warm: CreateStateMachine, imports

        def direct_chain() -> int:
            value = 0
            for _ in range(20):
                value = bf.inc.fn(value)
            return value

        rows.append(("run", "chain of 20 tasks", "20 Task states", best(direct_chain, args.repeat),
                     best(lambda: sfn.run(chain, {}), args.repeat)))
        fan = compile_flow(bf.fanout_flow, default_items_hint=max(sizes))
        sfn.run(fan, {"xs": [1]})
        for n in sizes:
            xs = list(range(n))
            rows.append(("run", f"map over {n} items", f"{n} iterations", best(lambda xs=xs: [bf.square.fn(x) for x in xs], args.repeat),
                         best(lambda xs=xs: sfn.run(fan, {"xs": xs}), args.repeat)))
        pay = compile_flow(bf.payload_flow)
        sfn.run(pay, {"n_bytes": 10})
        for n_bytes in (10_000, 1_000_000, 5_000_000):
            where = "inline" if n_bytes < pay.settings.inline_limit else "S3 claim check"
            rows.append(("run", f"{n_bytes:,} B result ({where})", "2 Task states",
                         best(lambda n=n_bytes: bf.size.fn(bf.payload.fn(n)), args.repeat),
                         best(lambda n=n_bytes: sfn.run(pay, {"n_bytes": n}), args.repeat)))

    table = Table(title=f"asl_export (best of {args.repeat}; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)")
    for column in ("what", "case", "size", "baseline s", "asl_export s", "per state/item ms"):
        table.add_column(column, justify="right" if column.endswith(("s", "ms")) else "left")
    for what, case, size, base, took in rows:
        count = int(size.split()[0]) if size.split()[0].isdigit() else 1
        table.add_row(what, case, size, f"{base:.4f}", f"{took:.3f}", f"{(took - base) * 1000 / count:.1f}")
    Console(width=160).print(table)


if __name__ == "__main__":
    main()
