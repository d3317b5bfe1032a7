"""Sequence numbers that survive restarts: one SQLite file per session under RECON_HOME.

`next_in` is the next inbound MsgSeqNum we have *not yet acknowledged*: it advances only after the
sink (Kinesis) accepted every application message before it, so after a crash the next Logon
starts from there and a ResendRequest covers whatever was received but not published.
"""

from __future__ import annotations

import re
import sqlite3
import threading
from pathlib import Path

from recon.paths import recon_home


def store_path(begin_string: str, sender: str, target: str, directory: Path | None = None) -> Path:
    name = re.sub(r"[^A-Za-z0-9._-]", "_", f"{begin_string}-{sender}-{target}")
    base = directory or (recon_home() / "fixsession")
    base.mkdir(parents=True, exist_ok=True)
    return base / f"{name}.sqlite"


class SequenceStore:
    """next_out (our next MsgSeqNum) and next_in (next unacknowledged inbound), durably stored."""

    def __init__(self, path: Path | str):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(str(self.path), isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.execute("CREATE TABLE IF NOT EXISTS seqnums (name TEXT PRIMARY KEY, value INTEGER NOT NULL)")
        self._db.execute("INSERT OR IGNORE INTO seqnums VALUES ('next_out', 1), ('next_in', 1)")
        self._cache = dict(self._db.execute("SELECT name, value FROM seqnums").fetchall())
        # The session thread takes outbound numbers while the publisher thread acknowledges.
        self._lock = threading.Lock()

    @property
    def next_out(self) -> int:
        return self._cache["next_out"]

    @property
    def next_in(self) -> int:
        return self._cache["next_in"]

    def _set(self, name: str, value: int) -> None:
        if self._cache[name] != value:
            self._db.execute("UPDATE seqnums SET value = ? WHERE name = ?", (value, name))
            self._cache[name] = value

    def take_out(self) -> int:
        """Reserve our next outbound MsgSeqNum (persisted before the message is sent)."""
        with self._lock:
            seq = self.next_out
            self._set("next_out", seq + 1)
            return seq

    def acknowledge_in(self, next_in: int) -> None:
        """Every inbound message below next_in is handled (published, if an application message)."""
        with self._lock:
            if next_in < self.next_in:
                raise ValueError(f"acknowledged inbound sequence cannot go back: {next_in} < {self.next_in}")
            self._set("next_in", next_in)

    def reset(self, next_in: int = 1, next_out: int = 1) -> None:
        """ResetSeqNumFlag / SequenceReset-Reset: both directions start again."""
        with self._lock:
            self._db.execute("UPDATE seqnums SET value = ? WHERE name = 'next_out'", (next_out,))
            self._db.execute("UPDATE seqnums SET value = ? WHERE name = 'next_in'", (next_in,))
            self._cache.update(next_out=next_out, next_in=next_in)

    def close(self) -> None:
        with self._lock:
            self._db.close()
