"""Where the project's data files live and where a run keeps its state."""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SQL_DIR = PROJECT_ROOT / "sql"
MAPPINGS_DIR = PROJECT_ROOT / "mappings"


def recon_home() -> Path:
    """RECON_HOME (default ./.recon) holds the embedded warehouse and run state."""
    home = Path(os.environ.get("RECON_HOME", ".recon")).resolve()
    home.mkdir(parents=True, exist_ok=True)
    return home
