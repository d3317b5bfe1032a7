"""Score a reconciliation against a generated day's truth.json.

Pairing precision/recall count a truth match as found when the engine linked exactly the same
records. Truth groups marked `interchangeable` (identical trades booked twice on both sides) are
found when the engine paired those records among themselves in any order. Break typing counts an
injected break as right when the engine raised a break of the same type over the same records.
An ANOMALY break (a match the anomaly model flagged) counts as a match when truth labels it an
anomaly, and as neither a right break nor a found match otherwise.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path


def _key(internal, broker) -> tuple[str, str]:
    return ";".join(sorted(internal)), ";".join(sorted(broker))


@dataclass
class Score:
    match_precision: float
    match_recall: float
    break_type_accuracy: float
    truth_matches: int
    engine_matches: int
    truth_breaks: int
    missed_breaks: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        return self.__dict__.copy()


def score(truth_path: str | Path, matches: list[dict], breaks: list[dict]) -> Score:
    """matches: rows with internal_ids/broker_ids (';'-joined); breaks: also break_type."""
    truth = json.loads(Path(truth_path).read_text())
    # A labelled anomaly the scoring step turned into an ANOMALY break was still paired right.
    labelled = {i for a in truth.get("anomalies", []) for i in a["internal"]}
    flagged = [b for b in breaks if b["break_type"] == "ANOMALY" and set(_ids(b["internal_ids"])) & labelled]
    breaks = [b for b in breaks if b["break_type"] != "ANOMALY"]
    engine = [_key(_ids(m["internal_ids"]), _ids(m["broker_ids"])) for m in [*matches, *flagged]]
    engine_set = set(engine)
    found, truth_n, engine_explained = 0, 0, set()
    for m in truth["matches"]:
        key = _key(m["internal"], m["broker"])
        if m.get("interchangeable"):
            # n identical pairs: found when the engine's links stay within the group
            members = set(m["internal"]) | set(m["broker"])
            inside = [e for e in engine if set(_ids(e[0])) | set(_ids(e[1])) <= members and e[0] and e[1]]
            covered = set().union(*[set(_ids(e[0])) | set(_ids(e[1])) for e in inside]) if inside else set()
            truth_n += 1
            if covered == members:
                found += 1
                engine_explained.update(inside)
        else:
            truth_n += 1
            if key in engine_set:
                found += 1
                engine_explained.add(key)
    precision = len(engine_explained) / len(engine_set) if engine_set else 1.0
    engine_breaks = {(b["break_type"], *_key(_ids(b["internal_ids"]), _ids(b["broker_ids"]))) for b in breaks}
    truth_breaks = [(b["type"], *_key(b["internal"], b["broker"])) for b in truth["breaks"]]
    right = [t for t in truth_breaks if t in engine_breaks]
    missed: dict[str, int] = {}
    for t in truth_breaks:
        if t not in engine_breaks:
            missed[t[0]] = missed.get(t[0], 0) + 1
    return Score(
        match_precision=precision,
        match_recall=found / truth_n if truth_n else 1.0,
        break_type_accuracy=len(right) / len(truth_breaks) if truth_breaks else 1.0,
        truth_matches=truth_n,
        engine_matches=len(engine_set),
        truth_breaks=len(truth_breaks),
        missed_breaks=missed,
    )


def _ids(value) -> list[str]:
    if isinstance(value, list):
        return value
    return [v for v in (value or "").split(";") if v]
