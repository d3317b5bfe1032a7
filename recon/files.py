"""A landed file is identified by its content, not its path.

`identify(location)` -> LandedFile: `file_id` is the SHA-256 of the file's bytes, the key its
executions, rejects, control totals and raw rows carry in the warehouse; `uri` (the resolved path)
and `name` are kept for display and lineage. The same bytes from another path, a relative or an
absolute one, or a copy in another directory, are the same file: landing it again replaces it.

This is the one place a location becomes an identity: an S3 object (issue 17) gets its identity
here too, from its URI and ETag or version id, without the landing code changing.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from pydantic import BaseModel, ConfigDict

_CHUNK = 1 << 20


class LandedFile(BaseModel):
    model_config = ConfigDict(frozen=True)

    file_id: str  # SHA-256 of the bytes, hex
    uri: str  # where these bytes were read from: the resolved path
    name: str  # the file name, for display
    size: int  # bytes


def sha256_of(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(_CHUNK):
            h.update(chunk)
    return h.hexdigest()


def identify(location: str | Path) -> LandedFile:
    """The identity of the file at `location` (a local path). FileNotFoundError when there is none."""
    path = Path(location)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file")
    resolved = path.resolve()
    return LandedFile(file_id=sha256_of(resolved), uri=str(resolved), name=resolved.name, size=resolved.stat().st_size)
