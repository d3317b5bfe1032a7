"""Score fix-recon on holdout days, run as a user runs it.

    python -m tests.holdout.score --regime baseline[,dense,...] --seeds 1,2,3 [--orders 2000]
        [--date 2026-11-27] [--keep DIR] [--json [PATH]] [--workarounds] [--recon .venv/bin/recon]
    python -m tests.holdout.score --keep DIR --rescore DIR/results.json     # score kept runs again

For each regime and seed: make the day (tests.holdout.make), run `recon run` with the day's files
and the mappings in DIR/mappings (options the product offers are found in `recon run --help`:
`--account-xref` is passed when it exists), then score OUT/matches.csv and OUT/breaks.csv against
truth.json with recon/evaluate.py's `score`, for the broker reconciliation and, against truth's
drop-copy section, for the drop-copy reconciliation. Every run gets its own warehouse (RECON_HOME)
and Prefect home; business time is pinned (RECON_NOW) to the trade date's evening.

`--workarounds` does by hand what a user must do today for what the product cannot read yet:
fields of a mapping whose every value is rejected (e.g. an ISO-8601 `Z` timestamp) are left out
of the copied YAML, and, when `recon run` has no `--account-xref`, broker files and drop copies are
rewritten with reference/account_xref.csv applied (FIX BodyLength and CheckSum recomputed). The
table says which runs used them.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import yaml

from recon.evaluate import score as evaluate_score
from tests.holdout.check import check_day
from tests.holdout.make import write_day

ABBREV = {"MISSING_AT_BROKER": "MAB", "MISSING_INTERNALLY": "MI", "QUANTITY_MISMATCH": "QM", "PRICE_MISMATCH": "PM",
          "SIDE_MISMATCH": "SM", "ACCOUNT_MISMATCH": "AM", "SETTLEMENT_DATE_MISMATCH": "SDM",
          "COMMISSION_MISMATCH": "CM", "DUPLICATE": "DUP", "ANOMALY": "ANOM"}


# ---- running the product -------------------------------------------------------------------------


def run_flags(recon: str) -> set[str]:
    out = subprocess.run([recon, "run", "--help"], capture_output=True, text=True,
                         env={**os.environ, "COLUMNS": "250", "NO_COLOR": "1", "TERM": "dumb"}, timeout=120)
    return set(re.findall(r"--[a-z][a-z0-9-]+", out.stdout))


def build_command(recon: str, day: Path, truth: dict, out: Path, flags: set[str], inputs: dict) -> list[str]:
    meta = truth["meta"]
    cmd = [recon, "run", "--date", meta["trade_date"], "--out", str(out)]
    if inputs["instruments"]:
        cmd += ["--instruments", inputs["instruments"]]
    cmd += ["--internal", f"{inputs['internal']}:{inputs['mappings']['internal']}"]
    for key, path in inputs["brokers"].items():
        cmd += ["--broker", f"{meta['brokers'][key]['code']}={path}:{inputs['mappings'][key]}"]
    for key, paths in inputs["dropcopy"].items():
        for p in paths:
            cmd += ["--dropcopy", f"{meta['brokers'][key]['code']}={p}"]
    if "--account-xref" in flags:
        cmd += ["--account-xref", str(day / meta["files"]["account_xref"])]
    return cmd


def plain_inputs(day: Path, truth: dict) -> dict:
    f = truth["meta"]["files"]
    return {
        "instruments": str(day / f["instruments"]) if f["instruments"] else None,
        "internal": str(day / f["internal"][0]),
        "brokers": {k: str(day / v) for k, v in f["brokers"].items()},
        "dropcopy": {k: [str(day / p) for p in v] for k, v in f["dropcopy"].items()},
        "mappings": {k: str(day / v) for k, v in truth["meta"]["mappings"].items()},
    }


# ---- workarounds a user applies by hand -----------------------------------------------------------


def _fix_frame(line: bytes, fn) -> bytes:
    """Apply fn(pairs) to the message on a log line; BodyLength and CheckSum recomputed."""
    k = line.find(b"8=FIX")
    if k < 0:
        return line
    prefix, msg = line[:k], line[k:]
    delim = b"\x01" if b"\x01" in msg else b"|"
    pairs = [(t, v) for t, _, v in (p.partition(b"=") for p in msg.rstrip(delim).split(delim)) if t not in (b"9", b"10")]
    pairs = fn(pairs)
    body = b"".join(t + b"=" + v + b"\x01" for t, v in pairs[1:])  # from MsgType(35) on
    wire = b"8=" + pairs[0][1] + b"\x01" + b"9=" + str(len(body)).encode() + b"\x01" + body
    wire += b"10=" + f"{sum(wire) % 256:03d}".encode() + b"\x01"
    return prefix + wire.replace(b"\x01", delim)


def apply_workarounds(day: Path, truth: dict, work: Path, flags: set[str], rejected_fields: dict) -> tuple[dict, list]:
    """-> inputs for the command, and what was done (one line each)."""
    inputs = plain_inputs(day, truth)
    done = []
    (work / "mappings").mkdir(parents=True, exist_ok=True)
    for key, path in list(inputs["mappings"].items()):
        doc = yaml.safe_load(Path(path).read_text())
        for fld in rejected_fields.get(doc["name"], []):
            if fld in doc["fields"] and fld in ("transact_time", "settle_date", "net", "accrued", "symbol"):
                del doc["fields"][fld]
                done.append(f"{doc['name']}.yaml: left out {fld} (every value rejected)")
        dst = work / "mappings" / Path(path).name
        dst.write_text(yaml.safe_dump(doc, sort_keys=False))
        inputs["mappings"][key] = str(dst)
    if "--account-xref" not in flags:
        xref: dict[str, dict[str, str]] = {}
        with open(day / truth["meta"]["files"]["account_xref"], newline="") as fh:
            for r in csv.DictReader(fh):
                xref.setdefault(r["broker"], {})[r["broker_account"]] = r["account"]
        codes = {k: v["code"] for k, v in truth["meta"]["brokers"].items()}
        (work / "broker").mkdir(exist_ok=True)
        (work / "dropcopy").mkdir(exist_ok=True)
        for key, path in list(inputs["brokers"].items()):
            doc = yaml.safe_load(Path(inputs["mappings"][key]).read_text())
            spec = doc.get("file", {})
            delim, trailer = spec.get("delimiter", ","), spec.get("trailer_prefix")
            col = doc["fields"]["account"]
            col = col["column"] if isinstance(col, dict) else col
            with open(path, newline="") as fh:
                rows = list(csv.reader(fh, delimiter=delim))
            k = rows[0].index(col)
            table = xref.get(codes[key], {})
            for r in rows[1:]:
                if r and not (trailer and r[0].startswith(trailer)) and len(r) > k:
                    r[k] = table.get(r[k], r[k])
            dst = work / "broker" / Path(path).name
            with open(dst, "w", newline="") as fh:
                csv.writer(fh, delimiter=delim, lineterminator="\n").writerows(rows)
            inputs["brokers"][key] = str(dst)
        for key, paths in inputs["dropcopy"].items():
            table = xref.get(codes[key], {})
            new_paths = []
            for p in paths:
                lines = Path(p).read_bytes().split(b"\n")

                def fn(pairs, table=table):
                    return [(t, table.get(v.decode(), v.decode()).encode() if t == b"1" else v) for t, v in pairs]

                dst = work / "dropcopy" / Path(p).name
                dst.write_bytes(b"\n".join(_fix_frame(line, fn) if line.strip() else line for line in lines))
                new_paths.append(str(dst))
            inputs["dropcopy"][key] = new_paths
        done.append("broker files and drop copies: reference/account_xref.csv applied (recon run has no --account-xref)")
    return inputs, done


def rejected_fields_of(run_dir: Path, mappings: dict) -> dict[str, list[str]]:
    """Optional mapping fields that a date/time format rejected on at least half of a file's rows."""
    summary_path = run_dir / "out" / "summary.json"
    read = {}
    if summary_path.exists():
        read = {Path(f["file"]).name: int(f["read"]) for f in json.loads(summary_path.read_text()).get("files", [])}
    reasons = top_rejects(run_dir / ".recon", limit=50)
    out: dict[str, list[str]] = {}
    for path in mappings.values():
        doc = yaml.safe_load(Path(path).read_text())
        for fname, rs in reasons.items():
            for reason, n in rs:
                if not reason.startswith("bad date") or n * 2 < read.get(fname, 0):
                    continue
                for fld, spec in doc["fields"].items():
                    col = spec.get("column") if isinstance(spec, dict) else spec
                    if col and f" {col}=" in reason:
                        out.setdefault(doc["name"], []).append(fld)
    return {k: sorted(set(v)) for k, v in out.items()}


def top_rejects(warehouse: Path, limit: int = 3) -> dict[str, list[tuple[str, int]]]:
    """Reject reasons per file, values blanked (read from the run's embedded warehouse)."""
    try:
        import duckdb
    except ImportError:
        return {}
    path = warehouse / "warehouse.duckdb"
    if not path.exists():
        return {}
    try:
        con = duckdb.connect(str(path), read_only=True)
        rows = con.execute(
            "SELECT file, regexp_replace(reason, '''[^'']*''', '''…''', 'g') AS r, COUNT(*) AS n FROM rejects "
            "GROUP BY 1, 2 ORDER BY 1, 3 DESC").fetchall()
        con.close()
    except Exception as exc:  # a warehouse the run left unreadable is itself worth reporting
        return {"(warehouse)": [(f"unreadable: {exc}", 0)]}
    out: dict[str, list[tuple[str, int]]] = {}
    for f, r, n in rows:
        lst = out.setdefault(Path(f).name, [])
        if len(lst) < limit:
            lst.append((r, n))
    return out


# ---- scoring --------------------------------------------------------------------------------------


def _read_csv(path: Path) -> list[dict]:
    if not path.exists():
        return []
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))


def _ids(v: str) -> list[str]:
    return [x for x in (v or "").split(";") if x]


def _key(t: str, internal, broker) -> tuple:
    return (t, ";".join(sorted(internal)), ";".join(sorted(broker)))


def score_recon(truth_part: dict, matches: list[dict], breaks: list[dict], tmp: Path, alias: dict | None = None) -> dict:
    alias = alias or {}

    def norm(ids: list[str]) -> list[str]:
        return [alias.get(i, i) for i in ids]

    matches = [{**m, "broker_ids": ";".join(norm(_ids(m["broker_ids"])))} for m in matches]
    breaks = [{**b, "broker_ids": ";".join(norm(_ids(b["broker_ids"])))} for b in breaks]
    tpath = tmp / f"truth-part-{os.getpid()}-{time.perf_counter_ns()}.json"
    tpath.write_text(json.dumps({"matches": truth_part["matches"], "breaks": truth_part["breaks"],
                                 "anomalies": truth_part.get("anomalies", [])}))
    s = evaluate_score(tpath, matches, breaks)
    tpath.unlink()
    truth_keys = {_key(b["type"], b["internal"], b["broker"]) for b in truth_part["breaks"]}
    real = [b for b in breaks if b["break_type"] != "ANOMALY"]
    false = [b for b in real if _key(b["break_type"], _ids(b["internal_ids"]), _ids(b["broker_ids"])) not in truth_keys]
    false_by_type: dict[str, int] = {}
    for b in false:
        false_by_type[b["break_type"]] = false_by_type.get(b["break_type"], 0) + 1
    # what truth says about a false break's records: which units the engine cut through
    unit_of: dict[str, str] = {}
    for m in truth_part["matches"]:
        kind = "interchangeable 1:1" if m.get("interchangeable") else f"{m.get('shape', '?')} match"
        for i in [*m["internal"], *m["broker"]]:
            unit_of[i] = kind
    for t in truth_part["breaks"]:
        for i in [*t["internal"], *t["broker"]]:
            unit_of[i] = f"{ABBREV.get(t['type'], t['type'])}{'(group)' if t.get('level') == 'group' else ''}"
    false_by_truth: dict[str, int] = {}
    for b in false:
        kinds = sorted({unit_of.get(i, "?") for i in [*_ids(b["internal_ids"]), *_ids(b["broker_ids"])]})
        k = f"{ABBREV.get(b['break_type'], b['break_type'])} on {' + '.join(kinds)}"
        false_by_truth[k] = false_by_truth.get(k, 0) + 1
    return {
        "pair_precision": s.match_precision, "pair_recall": s.match_recall,
        "break_type_accuracy": s.break_type_accuracy, "truth_matches": s.truth_matches,
        "engine_matches": s.engine_matches, "truth_breaks": s.truth_breaks, "engine_breaks": len(real),
        "false_breaks": len(false), "false_by_type": false_by_type,
        "false_by_truth": dict(sorted(false_by_truth.items(), key=lambda kv: -kv[1])), "missed_breaks": s.missed_breaks,
        "anomaly_breaks": len(breaks) - len(real),
    }


def file_counts(summary: dict) -> dict:
    out: dict[str, dict] = {}
    for f in summary.get("files", []):
        c = out.setdefault(f["source"], {"read": 0, "canonical": 0, "rejected": 0})
        for k in ("read", "canonical", "rejected"):
            c[k] += int(f.get(k) or 0)
    return out


def run_one(regime: str, seed: int, d: date, orders: int | None, base: Path, recon: str, flags: set[str],
            workarounds: bool, timeout: int) -> dict:
    """Make the day, run the product on it as written (and, with workarounds, again after the edits
    a user makes by hand), score each run."""
    day = base / "day"
    truth = write_day(regime, seed, d, day, orders)
    result: dict = {"regime": regime, "seed": seed, "date": d.isoformat(), "orders": truth["counts"]["orders"],
                    "day": str(day)}
    problems = check_day(day)
    if problems:
        raise SystemExit(f"{day}: the maker's self-check failed, not scoring: {problems[:5]}")
    inputs = plain_inputs(day, truth)
    result["as_written"] = _scored_run(recon, day, truth, base / "as_written", flags, inputs, d, timeout)
    if workarounds:
        fields = rejected_fields_of(base / "as_written", inputs["mappings"])
        inputs, done = apply_workarounds(day, truth, base / "work", flags, fields)
        result["workarounds"] = _scored_run(recon, day, truth, base / "workarounds", flags, inputs, d, timeout)
        result["workarounds"]["applied"] = done
    return result


def _scored_run(recon, day, truth, where: Path, flags, inputs, d: date, timeout: int) -> dict:
    r = _run(recon, day, truth, where, flags, inputs, d, timeout)
    out = r.pop("out")
    summary = json.loads((out / "summary.json").read_text()) if (out / "summary.json").exists() else {}
    r["rows"] = file_counts(summary)
    r["balanced"] = summary.get("balanced")
    r["rejects"] = top_rejects(where / ".recon")
    matches, breaks = _read_csv(out / "matches.csv"), _read_csv(out / "breaks.csv")
    r["broker"] = score_recon(truth, [m for m in matches if m.get("recon") == "broker"],
                              [b for b in breaks if b.get("recon") == "broker"], where)
    alias = {c: orig for s in truth["dropcopy"]["sessions"].values() for orig, chain in s["chains"].items()
             for c in chain}
    r["dropcopy"] = score_recon(truth["dropcopy"], [m for m in matches if m.get("recon") == "dropcopy"],
                                [b for b in breaks if b.get("recon") == "dropcopy"], where, alias)
    return r


def rescore(results: list[dict], root: Path) -> list[dict]:
    """Score kept runs again (after a change to the scoring), without running the product."""
    out = []
    for res in results:
        base = root / f"{res['regime']}-s{res['seed']}"
        truth = json.loads((base / "day" / "truth.json").read_text())
        alias = {c: orig for s in truth["dropcopy"]["sessions"].values() for orig, chain in s["chains"].items()
                 for c in chain}
        for mode in ("as_written", "workarounds"):
            if mode not in res:
                continue
            where = base / mode
            matches, breaks = _read_csv(where / "out" / "matches.csv"), _read_csv(where / "out" / "breaks.csv")
            res[mode]["broker"] = score_recon(truth, [m for m in matches if m.get("recon") == "broker"],
                                              [b for b in breaks if b.get("recon") == "broker"], where)
            res[mode]["dropcopy"] = score_recon(truth["dropcopy"], [m for m in matches if m.get("recon") == "dropcopy"],
                                                [b for b in breaks if b.get("recon") == "dropcopy"], where, alias)
        out.append(res)
    return out


def _run(recon, day, truth, where: Path, flags, inputs, d: date, timeout: int) -> dict:
    where.mkdir(parents=True, exist_ok=True)
    out = where / "out"
    cmd = build_command(recon, day, truth, out, flags, inputs)
    env = {**os.environ, "RECON_HOME": str(where / ".recon"), "PREFECT_HOME": str(where / ".prefect"),
           "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "RECON_NOW": f"{d.isoformat()}T23:30:00Z",
           "COLUMNS": "200", "NO_COLOR": "1"}
    t0 = time.perf_counter()
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=timeout)
        rc, stdout, stderr = p.returncode, p.stdout, p.stderr
    except subprocess.TimeoutExpired as exc:
        rc, stdout, stderr = "timeout", str(exc.stdout or ""), str(exc.stderr or "")
    secs = time.perf_counter() - t0
    (where / "stdout.txt").write_text(stdout)
    (where / "stderr.txt").write_text(stderr)
    (where / "command.txt").write_text(" ".join(cmd) + "\n")
    tb = "Traceback (most recent call last)" in stdout + stderr
    err_lines = [ln for ln in (stderr or "").splitlines() if ln.strip()][-3:]
    return {"exit": rc, "seconds": round(secs, 1), "traceback": tb, "stderr_tail": err_lines, "out": out,
            "command": " ".join(cmd)}


# ---- the table ------------------------------------------------------------------------------------


def _missed(d: dict) -> str:
    return " ".join(f"{ABBREV.get(k, k)}:{v}" for k, v in sorted(d.items())) or "-"


def _rows(r: dict, src: str) -> str:
    c = r.get("rows", {}).get(src)
    return f"{c['canonical']}/{c['rejected']}" if c else "-"


def table(results: list[dict], mode: str) -> str:
    cols = ["seed", "exit", "secs", "internal c/r", "broker c/r", "dropcopy c/r", "P", "R", "type", "false",
            "missed", "dc P", "dc R", "dc type", "dc false", "dc missed"]
    lines = []
    runs = [(r["seed"], r[mode]) for r in results]
    for seed, r in runs:
        b, dc = r["broker"], r["dropcopy"]
        lines.append([str(seed), str(r["exit"]) + ("!" if r["traceback"] else ""), f"{r['seconds']:.0f}",
                      _rows(r, "internal"), _rows(r, "broker"), _rows(r, "dropcopy"),
                      f"{b['pair_precision']:.4f}", f"{b['pair_recall']:.4f}", f"{b['break_type_accuracy']:.4f}",
                      str(b["false_breaks"]), _missed(b["missed_breaks"]), f"{dc['pair_precision']:.4f}",
                      f"{dc['pair_recall']:.4f}", f"{dc['break_type_accuracy']:.4f}", str(dc["false_breaks"]),
                      _missed(dc["missed_breaks"])])
    if len(runs) > 1:
        def mean(rec, key):
            return statistics.mean(r[rec][key] for _, r in runs)
        lines.append(["mean", "", "", "", "", "", f"{mean('broker', 'pair_precision'):.4f}",
                      f"{mean('broker', 'pair_recall'):.4f}", f"{mean('broker', 'break_type_accuracy'):.4f}",
                      f"{mean('broker', 'false_breaks'):.1f}", "", f"{mean('dropcopy', 'pair_precision'):.4f}",
                      f"{mean('dropcopy', 'pair_recall'):.4f}", f"{mean('dropcopy', 'break_type_accuracy'):.4f}",
                      f"{mean('dropcopy', 'false_breaks'):.1f}", ""])
    widths = [max(len(c), *(len(ln[i]) for ln in lines)) for i, c in enumerate(cols)]
    fmt_row = lambda row: " | ".join(v.ljust(w) for v, w in zip(row, widths, strict=True))  # noqa: E731
    return "\n".join([fmt_row(cols), "-+-".join("-" * w for w in widths), *map(fmt_row, lines)])


def print_regime(regime: str, results: list[dict]) -> None:
    r0 = results[0]
    modes = ["as_written"] + (["workarounds"] if "workarounds" in r0 else [])
    for mode in modes:
        title = "as a user runs it today" if mode == "as_written" else "after the workarounds a user applies by hand"
        print(f"\n== {regime}, {title}: {r0['orders']} orders/day, seeds {','.join(str(r['seed']) for r in results)} ==")
        print(table(results, mode))
        for res in results:
            r = res[mode]
            notes = []
            if r["exit"] not in (0, 1):
                notes.append(f"exit {r['exit']}: {' / '.join(r['stderr_tail'])}")
            if r["traceback"]:
                notes.append("a traceback was printed (see stderr.txt)")
            for f, reasons in r.get("rejects", {}).items():
                notes.append(f"rejects {f}: " + "; ".join(f"{n} x {reason[:100]}" for reason, n in reasons))
            if r["broker"]["false_by_type"]:
                notes.append("false broker breaks: " + _missed(r["broker"]["false_by_type"]))
            if r["dropcopy"]["false_by_type"]:
                notes.append("false drop-copy breaks: " + _missed(r["dropcopy"]["false_by_type"]))
            for rec in ("broker", "dropcopy"):
                top = list(r[rec].get("false_by_truth", {}).items())[:4]
                if top:
                    notes.append(f"  {rec} false breaks by what truth says: " + "; ".join(f"{n} {k}" for k, n in top))
            if r["broker"]["anomaly_breaks"] or r["dropcopy"]["anomaly_breaks"]:
                notes.append(f"ANOMALY breaks on matched trades (truth labels none): broker "
                             f"{r['broker']['anomaly_breaks']}, drop copy {r['dropcopy']['anomaly_breaks']}")
            for w in r.get("applied", []):
                notes.append(f"workaround: {w}")
            if notes:
                print(f"   seed {res['seed']}:")
                for n in notes:
                    print(f"     {n}")
    print("   P/R = pair precision/recall; type = break-type accuracy; false = breaks whose (type, records) truth "
          "does not name; missed = truth breaks not raised, by type; c/r = canonical/rejected rows; exit ! = traceback")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m tests.holdout.score", description=__doc__.splitlines()[0])
    ap.add_argument("--regime", default=None, help="a regime, or several joined by commas")
    ap.add_argument("--seeds", default="1,2,3")
    ap.add_argument("--orders", type=int, default=None)
    ap.add_argument("--date", default="2026-11-27")
    ap.add_argument("--keep", default=None, help="keep days and runs under this directory")
    ap.add_argument("--json", nargs="?", const="-", default=None, help="also write results as JSON (PATH or -)")
    ap.add_argument("--workarounds", action="store_true", help="apply what a user does by hand today (see --help)")
    ap.add_argument("--recon", default=str(Path(sys.executable).parent / "recon"))
    ap.add_argument("--timeout", type=int, default=3600)
    ap.add_argument("--rescore", metavar="RESULTS_JSON", default=None,
                    help="score the runs kept under --keep again (their --json file), without running the product")
    a = ap.parse_args(argv)
    if a.rescore:
        if not a.keep:
            print("error: --rescore needs --keep DIR (where the runs were kept)", file=sys.stderr)
            return 2
        results = rescore(json.loads(Path(a.rescore).read_text()), Path(a.keep))
        for regime in dict.fromkeys(r["regime"] for r in results):
            print_regime(regime, [r for r in results if r["regime"] == regime])
        if a.json:
            Path(a.json).write_text(json.dumps(results, indent=1, default=str)) if a.json != "-" else print(
                json.dumps(results, indent=1, default=str))
        return 0
    if not a.regime:
        print("error: give --regime (a regime, or several joined by commas)", file=sys.stderr)
        return 2
    from tests.holdout.regimes import REGIMES

    regimes = [r.strip() for r in a.regime.split(",") if r.strip()]
    bad = [r for r in regimes if r not in REGIMES]
    if bad:
        print(f"error: unknown regime(s) {bad}; known: {', '.join(REGIMES)}", file=sys.stderr)
        return 2
    try:
        seeds = [int(s) for s in a.seeds.split(",") if s.strip()]
        d = date.fromisoformat(a.date)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if not Path(a.recon).exists():
        print(f"error: {a.recon} not found (give --recon PATH)", file=sys.stderr)
        return 2
    flags = run_flags(a.recon)
    root = Path(a.keep) if a.keep else Path(tempfile.mkdtemp(prefix="holdout-score-"))
    everything = []
    for regime in regimes:
        results = []
        for seed in seeds:
            base = root / f"{regime}-s{seed}"
            if base.exists():
                shutil.rmtree(base)
            results.append(run_one(regime, seed, d, a.orders, base, a.recon, flags, a.workarounds, a.timeout))
        print_regime(regime, results)
        everything += results
    if a.json:
        text = json.dumps(everything, indent=1, default=str)
        if a.json == "-":
            print(text)
        else:
            Path(a.json).write_text(text)
    if not a.keep:
        shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
