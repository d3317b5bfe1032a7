"""fix-recon: the core library every layer shares (canonical model, inputs, instruments, FIX, mappings,
anomaly models, the generator). It imports nothing from cli/, flows/, tasks/ or blocks/."""

__version__ = "0.1.0"
