"""fix-recon: what every layer shares (canonical model, settings, paths, CLI entry)."""

__version__ = "0.1.0"
