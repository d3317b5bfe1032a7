"""Session settings: who we are, whom we call, and how the session behaves."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SessionConfig:
    host: str
    port: int
    sender_comp_id: str
    target_comp_id: str
    begin_string: str = "FIX.4.4"
    heartbeat_s: int = 30
    reset_on_logon: bool = False
    logon_timeout_s: float = 10.0
    logout_timeout_s: float = 2.0
    reconnect_initial_s: float = 1.0
    reconnect_max_s: float = 30.0
    # A message queued while a resend is in flight waits here; beyond this the peer is misbehaving.
    max_queued: int = 100_000

    def __post_init__(self) -> None:
        if not (0 < self.port < 65536):
            raise ValueError(f"port must be 1..65535, got {self.port}")
        if self.heartbeat_s <= 0:
            raise ValueError(f"heartbeat must be > 0 seconds, got {self.heartbeat_s}")
        for name in ("sender_comp_id", "target_comp_id", "host"):
            if not getattr(self, name):
                raise ValueError(f"{name} is required")
        if not self.begin_string.startswith("FIX"):
            raise ValueError(f"begin_string must look like FIX.4.4, got {self.begin_string!r}")
