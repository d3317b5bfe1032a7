"""Ground truth for a generated day: what the matcher, the lifecycle and the anomaly model must find.

truth.json (record ids exactly as written in the files):
  matches    [{"internal": [ids], "broker": [ids], "type": "exact|tolerance|aggregate",
               "broker_name": b, "shape"?: "n_to_1|1_to_n", "tolerance"?: "price|net",
               "interchangeable"?: true}]
  breaks     [{"type": BREAK_TYPE, "internal": [ids], "broker": [ids], "broker_name": b,
               "duplicate_of"?: id}]
  excluded   [{"source": "internal"|broker, "record_id": id, "reason": text}]
  anomalies  [{"kind": k, "internal": [ids], "broker": [ids], "feature": f}]
  late_bookings [internal ids booked after the 19:00 ET allocation cut-off; they still match]
  dropcopy   {broker: {"file", "messages", "effective": {ExecID: internal id or null},
                        "busted": [ExecID], "superseded": [ExecID], "possdup_resends": n,
                        "non_booking": n}}
  counts     totals that add up (see docs/generator.md)
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Truth:
    matches: list[dict] = field(default_factory=list)
    breaks: list[dict] = field(default_factory=list)
    excluded: list[dict] = field(default_factory=list)
    anomalies: list[dict] = field(default_factory=list)
    late_bookings: list[str] = field(default_factory=list)
    dropcopy: dict[str, dict] = field(default_factory=dict)
    trades: int = 0

    def counts(self, internal_rows: int, broker_rows: dict[str, int]) -> dict:
        matched_i = sum(len(m["internal"]) for m in self.matches)
        matched_b = sum(len(m["broker"]) for m in self.matches)
        break_i = sum(len(b["internal"]) for b in self.breaks)
        break_b = sum(len(b["broker"]) for b in self.breaks)
        excl_i = sum(1 for e in self.excluded if e["source"] == "internal")
        excl_b = len(self.excluded) - excl_i
        return {
            "trades": self.trades,
            "internal_rows": internal_rows,
            "broker_rows": dict(broker_rows),
            "broker_rows_total": sum(broker_rows.values()),
            "matches": dict(sorted(Counter(m["type"] for m in self.matches).items())),
            "breaks": dict(sorted(Counter(b["type"] for b in self.breaks).items())),
            "anomalies": dict(sorted(Counter(a["kind"] for a in self.anomalies).items())),
            "late_bookings": len(self.late_bookings),
            # control totals: every row is matched, in a break, or excluded
            "internal": {"matched": matched_i, "in_breaks": break_i, "excluded": excl_i},
            "broker": {"matched": matched_b, "in_breaks": break_b, "excluded": excl_b},
            "dropcopy_messages": {b: d["messages"] for b, d in self.dropcopy.items()},
        }

    def write(self, path: Path, internal_rows: int, broker_rows: dict[str, int], meta: dict) -> dict:
        counts = self.counts(internal_rows, broker_rows)
        doc = {
            "meta": meta,
            "counts": counts,
            "matches": self.matches,
            "breaks": self.breaks,
            "excluded": self.excluded,
            "anomalies": self.anomalies,
            "late_bookings": self.late_bookings,
            "dropcopy": self.dropcopy,
        }
        # json.dumps uses the C encoder; json.dump streams through the slow pure-Python one
        path.write_text(json.dumps(doc, separators=(",", ":")))
        return counts
