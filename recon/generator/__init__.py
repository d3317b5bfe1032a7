"""Synthetic trading days with ground truth: `recon generate` (see docs/generator.md)."""

from recon.generator.day import DayConfig, generate_day

__all__ = ["DayConfig", "generate_day"]
