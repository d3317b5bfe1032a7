"""Value types used by the codec tests (importable by reference, as the decoder needs)."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from decimal import Decimal

from pydantic import BaseModel


class Side(enum.Enum):
    BUY = "buy"
    SELL = "sell"


@dataclass
class Lot:
    qty: Decimal
    side: Side


class Fill(BaseModel):
    exec_id: str
    price: Decimal
