"""What one parsed FIX message does: FixRecord and its lifecycle actions.

Kept apart from the normalizers so that normalize.py (ExecutionReports) and allocations.py (AE, J,
AS, AK) both build records without importing each other, and lifecycle.py reads them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from recon.model import Execution

NEW, CORRECT, CANCEL, SKIP = "new", "correct", "cancel", "skip"


@dataclass(slots=True)
class FixRecord:
    """One parsed message. family+msg_id identify it for duplicate detection and lifecycle refs."""

    family: str  # exec | trade | alloc | confirm | other
    msg_id: str | None
    action: str  # new | correct | cancel | skip
    ref_id: str | None = None
    poss_dup: bool = False
    executions: list[Execution] = field(default_factory=list)
    msg_type: str = ""
