"""Helpers shared by the tests and the benchmarks (import them as tests.support.<module>): local
servers (kinesalite, a QuickFIX acceptor, the ServiceNow emulator), free ports and waits."""

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
