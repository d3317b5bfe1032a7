"""Make one holdout trading day: `python -m tests.holdout.make --regime R --seed N --date D --out DIR`.

Writes DIR/reference/, internal/, broker/, dropcopy/, mappings/ (the YAML a new user writes for
these layouts, copied from tests/holdout/mappings/) and truth.json, then runs the self-check
(tests/holdout/check.py). Exit 0 when the day and its truth agree, 1 when the self-check finds a
problem, 2 for bad usage (unknown regime, weekend date).
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sys
from datetime import date
from pathlib import Path

from tests.holdout.check import check_day
from tests.holdout.day import make_day
from tests.holdout.fixout import write_dropcopy
from tests.holdout.layouts import (
    write_ashgrove,
    write_fx_rates,
    write_kestrel,
    write_master,
    write_oms,
    write_tollan,
    write_xref,
)
from tests.holdout.regimes import REGIMES

MAPPINGS = Path(__file__).parent / "mappings"


def write_day(regime: str, seed: int, trade_date: date, out: str | Path, orders: int | None = None) -> dict:
    """Make and write one day; -> truth (also written to out/truth.json)."""
    out = Path(out)
    day = make_day(regime, seed, trade_date, orders)
    for sub in ("reference", "internal", "broker", "dropcopy", "mappings"):
        (out / sub).mkdir(parents=True, exist_ok=True)
    ymd = f"{trade_date:%Y%m%d}"
    files = {
        "instruments": "reference/instruments.csv" if day.params["master"] else None,
        "account_xref": "reference/account_xref.csv",
        "fx_rates": "reference/fx_rates.csv",
        "internal": [f"internal/abc_oms_{ymd}.csv"],
        "brokers": {k: f"broker/{k}_{ymd}.csv" for k in ("kestrel", "ashgrove", "tollan")},
    }
    stale = out / "reference" / "instruments.csv"
    if day.params["master"]:
        write_master(day, out / files["instruments"])
    elif stale.exists():
        stale.unlink()
    write_xref(day, out / files["account_xref"])
    write_fx_rates(day, out / files["fx_rates"])
    write_oms(day, out / files["internal"][0])
    write_kestrel(day, out / files["brokers"]["kestrel"])
    write_ashgrove(day, out / files["brokers"]["ashgrove"])
    write_tollan(day, out / files["brokers"]["tollan"])
    rng = random.Random(f"holdout-fix|{regime}|{seed}|{trade_date.isoformat()}")
    dropcopy = write_dropcopy(day, out / "dropcopy", rng)
    files["dropcopy"] = {}
    for name, sess in dropcopy["sessions"].items():
        files["dropcopy"].setdefault(sess["broker"], []).append(f"dropcopy/{name}")
    mappings = {}
    for y in sorted(MAPPINGS.glob("*.yaml")):
        shutil.copyfile(y, out / "mappings" / y.name)
        mappings[y.stem] = f"mappings/{y.name}"
    truth = day.truth
    truth["meta"]["files"] = files
    truth["meta"]["mappings"] = {"internal": mappings["abc_oms"],
                                 **{k: mappings[k] for k in ("kestrel", "ashgrove", "tollan")}}
    truth["dropcopy"] = dropcopy
    truth["counts"] = {
        "orders": len([o for o in day.orders if not o.as_of]),
        "internal_rows": len(day.oms_rows),
        "broker_rows": {k: sum(1 for r in day.broker_rows if r.broker.key == k) for k in files["brokers"]},
        "fix_messages": {k: v["messages"] for k, v in dropcopy["sessions"].items()},
        "truth_matches": len(truth["matches"]),
        "truth_breaks": len(truth["breaks"]),
        "excluded": len(truth["excluded"]),
        "dropcopy_matches": len(dropcopy["matches"]),
        "dropcopy_breaks": len(dropcopy["breaks"]),
    }
    (out / "truth.json").write_text(json.dumps(truth, indent=1, sort_keys=False))
    return truth


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m tests.holdout.make", description=__doc__.splitlines()[0])
    ap.add_argument("--regime", required=True, help=f"one of {', '.join(REGIMES)}")
    ap.add_argument("--seed", type=int, required=True)
    ap.add_argument("--date", required=True, help="trade date YYYY-MM-DD (a weekday)")
    ap.add_argument("--out", required=True)
    ap.add_argument("--orders", type=int, default=None, help="orders in the day (default: the regime's, 2000)")
    ap.add_argument("--no-check", action="store_true", help="skip the self-check")
    a = ap.parse_args(argv)
    if a.regime not in REGIMES:
        print(f"error: unknown regime {a.regime!r}; known: {', '.join(REGIMES)}", file=sys.stderr)
        return 2
    try:
        d = date.fromisoformat(a.date)
    except ValueError:
        print(f"error: --date {a.date!r} is not YYYY-MM-DD", file=sys.stderr)
        return 2
    if d.weekday() >= 5:
        print(f"error: --date {a.date} is a weekend day; give a weekday", file=sys.stderr)
        return 2
    truth = write_day(a.regime, a.seed, d, a.out, a.orders)
    c = truth["counts"]
    print(f"{a.out}: regime {a.regime}, seed {a.seed}, {d}: {c['orders']} orders, {c['internal_rows']} OMS rows, "
          f"broker rows {c['broker_rows']}, FIX messages {c['fix_messages']}; truth {c['truth_matches']} matches, "
          f"{c['truth_breaks']} breaks, {c['excluded']} excluded; drop copy {c['dropcopy_matches']} matches, "
          f"{c['dropcopy_breaks']} breaks")
    if a.no_check:
        return 0
    problems = check_day(a.out)
    if problems:
        print(f"self-check: {len(problems)} problem(s)", file=sys.stderr)
        for p in problems[:30]:
            print(f"  {p}", file=sys.stderr)
        return 1
    print("self-check: every record in exactly one truth match, break or exclusion; matches within tolerance")
    return 0


if __name__ == "__main__":
    sys.exit(main())
