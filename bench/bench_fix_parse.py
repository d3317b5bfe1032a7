"""FIX parsing throughput: plain simplefix parsing vs our parse + validate + normalize + lifecycle.

Both run in this process on one core over the same N ExecutionReports (~250 bytes, 25 fields;
about 1% corrections, 0.5% busts, 1% PossDup resends, a few order-status reports). The floor is
3x simplefix. Wall and CPU time are both shown: on a shared machine the CPU time is the fairer
measure of one core's work. Run: .venv/bin/python bench/bench_fix_parse.py [--messages 100000]
"""

from __future__ import annotations

import argparse
import random
import time

import simplefix

from recon.fix import check_totals, ingest

SYMBOLS = [
    ("AAPL", "XNAS"),
    ("MSFT", "XNAS"),
    ("IBM", "XNYS"),
    ("VOD", "XLON"),
    ("SAP", "XETR"),
    ("SPY", "ARCX"),
    ("JPM", "XNYS"),
    ("NVDA", "XNAS"),
]


def _report(
    rng: random.Random, seq: int, exec_id: str, exec_type: str, ref: str | None, poss_dup: bool
) -> bytes:
    sym, mic = rng.choice(SYMBOLS)
    qty = rng.randint(1, 50) * 100
    px = f"{rng.uniform(10, 500):.4f}"
    m = simplefix.FixMessage()
    m.append_pair(8, "FIX.4.4")
    m.append_pair(35, "8")
    m.append_pair(49, "NBPRIME")
    m.append_pair(56, "FUNDDC")
    m.append_pair(34, seq)
    if poss_dup:
        m.append_pair(43, "Y")
    m.append_pair(52, "20261127-14:30:01.123")
    m.append_pair(1, f"ACC{rng.randint(1, 40):03d}")
    m.append_pair(6, px)
    m.append_pair(11, f"CL{seq:08d}")
    m.append_pair(15, "USD")
    m.append_pair(17, exec_id)
    if ref:
        m.append_pair(19, ref)
    m.append_pair(31, px)
    m.append_pair(32, qty)
    m.append_pair(37, f"ORD{seq:09d}")
    m.append_pair(39, "2")
    m.append_pair(54, rng.choice("1125"))
    m.append_pair(55, sym)
    m.append_pair(60, "20261127-14:30:01.123456")
    m.append_pair(64, "20261130")
    m.append_pair(75, "20261127")
    m.append_pair(150, exec_type)
    m.append_pair(207, mic)
    m.append_pair(12, f"{qty * 0.002:.2f}")
    return m.encode()


def generate(n: int, seed: int = 7) -> list[bytes]:
    rng = random.Random(seed)
    out: list[bytes] = []
    fills: list[tuple[str, bytes]] = []
    for seq in range(1, n + 1):
        roll = rng.random()
        if fills and roll < 0.01:
            target = rng.choice(fills)[0]
            out.append(_report(rng, seq, f"C{seq}", "G", target, False))
        elif fills and roll < 0.015:
            target, _ = fills.pop(rng.randrange(len(fills)))
            out.append(_report(rng, seq, f"B{seq}", "H", target, False))
        elif fills and roll < 0.025:
            out.append(rng.choice(fills)[1].replace(b"\x0152=", b"\x0143=Y\x0152=", 1))
        elif roll < 0.03:
            out.append(_report(rng, seq, f"S{seq}", "I", None, False))
        else:
            msg = _report(rng, seq, f"E{seq}", "F", None, False)
            fills.append((f"E{seq}", msg))
            out.append(msg)
    return [_refresh(m) for m in out]


def _refresh(raw: bytes) -> bytes:
    """Re-encode through simplefix so BodyLength/CheckSum are right after the PossDup edit."""
    if b"\x0143=Y" not in raw:
        return raw
    p = simplefix.FixParser()
    p.append_buffer(raw)
    msg = p.get_message()
    return msg.encode()


def bench_simplefix(messages: list[bytes]) -> tuple[float, float]:
    """-> (wall seconds, CPU seconds of this process)."""
    parser = simplefix.FixParser()
    t0, c0 = time.perf_counter(), time.process_time()
    for raw in messages:
        parser.append_buffer(raw)
        parser.get_message()
    return time.perf_counter() - t0, time.process_time() - c0


def bench_ours(buf: bytes) -> tuple[float, float, object]:
    t0, c0 = time.perf_counter(), time.process_time()
    result = ingest([(buf, "bench.fix", 1)], "northbridge")
    return time.perf_counter() - t0, time.process_time() - c0, result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--messages", type=int, default=100_000)
    ap.add_argument("--repeat", type=int, default=3, help="best of N runs for each side")
    args = ap.parse_args()
    messages = generate(args.messages)
    buf = b"\n".join(messages) + b"\n"
    avg = len(buf) / len(messages)
    fields = messages[0].count(b"\x01")
    # Interleave the two sides so a noisy neighbour slows both alike; keep each side's best run.
    bases, runs = [], []
    for _ in range(args.repeat):
        bases.append(bench_simplefix(messages))
        runs.append(bench_ours(buf))
    base, base_cpu = min(b[0] for b in bases), min(b[1] for b in bases)
    ours, ours_cpu = min(r[0] for r in runs), min(r[1] for r in runs)
    result = runs[0][2]
    totals = result.totals["bench.fix"]
    check_totals(totals)
    assert totals["rejected"] == 0, result.rejects[:3]
    n = len(messages)
    print(
        f"FIX parsing, {n} ExecutionReports, {avg:.0f} bytes and {fields} fields each, one core, "
        f"best of {args.repeat}"
    )
    print(
        f"{'variant':<44} {'msgs':>8} {'wall s':>8} {'msgs/s':>9} {'ratio':>6} {'cpu s':>8} {'cpu ratio':>9}"
    )
    print(
        f"{'simplefix FixParser (parse only, baseline)':<44} {n:>8} {base:>8.3f} {n / base:>9.0f} {1:>6.2f} "
        f"{base_cpu:>8.3f} {1:>9.2f}"
    )
    print(
        f"{'recon.fix ingest (parse+verify+normalize+lc)':<44} {n:>8} {ours:>8.3f} {n / ours:>9.0f} "
        f"{base / ours:>6.2f} {ours_cpu:>8.3f} {base_cpu / ours_cpu:>9.2f}"
    )
    print(
        f"outcomes: booked {totals['booked']}, corrected {totals['corrected']}, busted {totals['busted']}, "
        f"voided {totals['voided']}, duplicates {totals['duplicates']}, not booked {totals['not_booked']}"
    )


if __name__ == "__main__":
    main()
