"""Analysts' verdicts on ANOMALY breaks become labels, and labels set the alert threshold per kind.

A break's resolution code (from `recon breaks resolve --code ...` or the ServiceNow close code the
sync-back copies onto the break) says what the flag was:

    confirmed       a real error (the trade was wrong): the kind must keep being flagged
    false_positive  the trade was right: the same thing on a similar day should not be flagged

Codes are compared case-insensitively, spaces and hyphens read as underscores ("Booking error" is
booking_error), against CONFIRMED_CODES / FALSE_POSITIVE_CODES; any other code is no label (the
"Solution provided" fix-recon sends when a break clears by itself says nothing about the flag).

Calibration. A kind is the feature an alert's explanation names first (what an analyst sees).
For each kind with false positives, the alert threshold rises above the highest false positive's
score, with a margin so that a similar trade the next day (a little further out) stays below it:
halfway to the lowest confirmed score of the kind, or, with no confirmed one, as far again above
the model's threshold as that false positive was. It never rises above a confirmed anomaly of the
kind (when a false positive outscored one, the confirmed one stays flagged and the false
positive's twin will be too). Kinds without false positives keep the model's threshold; a
threshold never goes below it.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

CONFIRMED = "confirmed"
FALSE_POSITIVE = "false_positive"
CONFIRMED_CODES = frozenset({"confirmed", "real_error", "booking_error", "broker_error", "fat_finger",
                             "corrected", "cancel_rebook"})
FALSE_POSITIVE_CODES = frozenset({"false_positive", "not_an_error", "valid_trade", "expected", "no_action"})


def _norm(code: str) -> str:
    return "_".join(code.strip().lower().replace("-", " ").split())


def label_of(code: str | None, confirmed: Iterable[str] = CONFIRMED_CODES,
             false_positive: Iterable[str] = FALSE_POSITIVE_CODES) -> str | None:
    c = _norm(code or "")
    if c in {_norm(x) for x in confirmed}:
        return CONFIRMED
    if c in {_norm(x) for x in false_positive}:
        return FALSE_POSITIVE
    return None


def calibrate(raw: np.ndarray, top_feature: list[str], labels: list[str | None], threshold: float) -> dict[str, float]:
    """Per-kind alert thresholds from labelled rows (see the module docstring)."""
    raw = np.asarray(raw, dtype=np.float64)
    top = np.array(top_feature, dtype=object)
    lab = np.array([x or "" for x in labels], dtype=object)
    out: dict[str, float] = {}
    for kind in sorted(set(top[lab == FALSE_POSITIVE])):
        fp = raw[(lab == FALSE_POSITIVE) & (top == kind)]
        conf = raw[(lab == CONFIRMED) & (top == kind)]
        top_fp = float(fp.max())
        if conf.size and conf.min() > top_fp:
            cut = (top_fp + float(conf.min())) / 2
        elif conf.size:
            cut = float(np.nextafter(conf.min(), -np.inf))
        else:
            cut = top_fp + max(top_fp - threshold, 0.0)
        if cut > threshold:
            out[kind] = cut
    return out


def link_feedback(labels_by_ids: dict[tuple[str, str], str], internal_ids: list[str], broker_ids: list[str]) -> list[str | None]:
    """The label of each link whose records are exactly a labelled break's records."""
    return [labels_by_ids.get((i or "", b or "")) for i, b in zip(internal_ids, broker_ids, strict=True)]
