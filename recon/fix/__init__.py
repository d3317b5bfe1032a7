"""FIX ingestion: frame and verify messages, parse repeating groups, normalize to the canonical
model, apply the execution lifecycle. Entry points: `ingest` (buffers) and the tasks in
tasks/fix_ingest.py; docs/fix.md describes what is accepted and every reject reason.
"""

from recon.fix.lifecycle import FixBook
from recon.fix.pipeline import ParseResult, check_totals, ingest, new_totals

__all__ = ["FixBook", "ParseResult", "check_totals", "ingest", "new_totals"]
