"""What a reconciliation run reads: the day's files and how to read each of them.

A landing directory (what `recon generate` writes, and what a production drop zone looks like):

    reference/instruments.csv     the instrument master
    internal/*.csv                OMS exports (mapping `oms`)
    broker/<broker>.csv           one file per prime broker, mapping named after the broker
    dropcopy/<broker>.fix         the broker's FIX drop copy, one message per line
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, Field


class FileInput(BaseModel):
    path: str
    mapping: str | None = Field(default=None, description="mapping name in mappings/ or a YAML path")
    name: str | None = Field(default=None, description="broker name (broker files and drop copies)")


class DayInputs(BaseModel):
    instruments: str | None = None
    internal: list[FileInput] = Field(default_factory=list)
    broker: list[FileInput] = Field(default_factory=list)
    dropcopy: list[FileInput] = Field(default_factory=list)

    def check(self) -> DayInputs:
        """Every named file exists; a run with nothing to reconcile is a usage error."""
        missing = [
            p
            for p in [self.instruments, *(f.path for f in [*self.internal, *self.broker, *self.dropcopy])]
            if p and not Path(p).is_file()
        ]
        if missing:
            raise FileNotFoundError(f"input file(s) not found: {', '.join(missing)}")
        if not self.internal:
            raise ValueError("no internal (OMS) file given: reconciliation needs the internal side")
        if not self.broker and not self.dropcopy:
            raise ValueError("no broker file or drop copy given: nothing to reconcile against")
        return self


def discover(landing_dir: str | Path) -> DayInputs:
    """The inputs found in a landing directory laid out as above (recon.mapping.inputs finds them)."""
    from recon.mapping.inputs import discover_day
    from recon.mapping.spec import MappingError

    root = Path(landing_dir)
    if not root.is_dir():
        raise FileNotFoundError(f"landing directory {root} does not exist")
    try:
        plan = discover_day(root)
    except MappingError as exc:
        raise ValueError(str(exc)) from exc
    return DayInputs(
        instruments=plan.instruments,
        internal=[FileInput(path=f.path, mapping=f.mapping) for f in plan.files if f.broker is None],
        broker=[FileInput(path=f.path, mapping=f.mapping, name=f.broker) for f in plan.files if f.broker],
        dropcopy=[FileInput(path=p, name=name) for name, paths in plan.dropcopy.items() for p in paths],
    ).check()


def parse_file_arg(value: str, default_mapping: str | None = None) -> FileInput:
    """CLI form PATH[:MAPPING] or NAME=PATH[:MAPPING] (the mapping defaults to NAME)."""
    from recon.mapping.inputs import split_mapping

    name = None
    if "=" in value:
        name, value = value.split("=", 1)
    path, mapping = split_mapping(value, default_mapping or name)
    return FileInput(path=path, mapping=mapping, name=name)
