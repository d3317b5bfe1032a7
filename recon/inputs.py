"""What a run reads: the day's files and how to read each one. The one input model: the CLI, the
daily and ingest flows and landing-directory discovery all build a DayInputs.

A landing directory (what `recon generate` writes, and what a production drop zone looks like):

    reference/instruments.csv     the instrument master (optional; also <day>/instruments.csv)
    reference/*.csv               market data, commission schedules, FX rates (optional)
    internal/<name>[_*].csv       internal files: mapping <name> when that is an internal layout, else oms
    broker/<broker>[_*].csv       broker files: mapping <broker>
    dropcopy/<broker>[_*].fix     the broker's FIX drop copies; all of one broker's files form one
                                  lifecycle batch (a correction in one file reaches a fill in another)

Explicit inputs (the CLI's forms): internal `PATH[:MAPPING]` (mapping default oms), broker
`NAME=PATH[:MAPPING]` (mapping default NAME), drop copy `NAME=PATH`.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, model_validator

from recon.mapping.spec import available_mappings, load_mapping

INTERNAL_DEFAULT_MAPPING = "oms"


class FileInput(BaseModel):
    """One input file. `name` is the broker (broker files and drop copies; for an internal file the
    broker of rows whose broker column is empty)."""

    model_config = ConfigDict(extra="forbid")

    path: str
    mapping: str | None = Field(default=None, description="mapping name in mappings/ or a YAML path")
    name: str | None = Field(default=None, description="the broker")


class DayInputs(BaseModel):
    model_config = ConfigDict(extra="forbid")

    instruments: str | None = None
    internal: list[FileInput] = Field(default_factory=list)
    broker: list[FileInput] = Field(default_factory=list)
    dropcopy: list[FileInput] = Field(default_factory=list)

    @model_validator(mode="after")
    def _defaults(self) -> DayInputs:
        """Every mapped file has its mapping, every broker file and drop copy its broker."""
        for f in self.internal:
            f.mapping = f.mapping or INTERNAL_DEFAULT_MAPPING
        for kind, files in (("broker", self.broker), ("dropcopy", self.dropcopy)):
            for f in files:
                if not f.name:
                    form = "NAME=PATH[:MAPPING]" if kind == "broker" else "NAME=PATH"
                    raise ValueError(f"{kind} file {f.path}: name the broker ({form}, e.g. castlerock=day/c.csv)")
        for f in self.broker:
            f.mapping = f.mapping or f.name
        return self

    def mapped_files(self) -> list[FileInput]:
        """The files read through mappings, internal first."""
        return [*self.internal, *self.broker]

    def dropcopy_batches(self) -> list[dict]:
        """One lifecycle batch per broker: [{"broker", "paths"}], brokers sorted, files as given."""
        batches: dict[str, list[str]] = {}
        for f in self.dropcopy:
            batches.setdefault(f.name, []).append(f.path)
        return [{"broker": b, "paths": batches[b]} for b in sorted(batches)]

    def check_files(self) -> DayInputs:
        """Every named file exists, and there is something to land."""
        paths = [self.instruments, *(f.path for f in [*self.internal, *self.broker, *self.dropcopy])]
        missing = [p for p in paths if p and not Path(p).is_file()]
        if missing:
            raise FileNotFoundError(f"input file(s) not found: {', '.join(missing)}")
        if not (self.internal or self.broker or self.dropcopy):
            raise ValueError("no input files: give internal, broker or drop-copy files (or a landing directory)")
        return self

    def check(self) -> DayInputs:
        """check_files, and the two sides a reconciliation needs."""
        self.check_files()
        if not self.internal:
            raise ValueError("no internal (OMS) file given: reconciliation needs the internal side")
        if not self.broker and not self.dropcopy:
            raise ValueError("no broker file or drop copy given: nothing to reconcile against")
        return self


def _stem_name(path: Path) -> str:
    return path.stem.split("_")[0].lower()


def discover(landing_dir: str | Path) -> DayInputs:
    """The inputs in a landing directory laid out as above (reference/ files are optional)."""
    root = Path(landing_dir)
    if not root.is_dir():
        raise FileNotFoundError(f"landing directory {root} does not exist")
    day = DayInputs()
    for candidate in (root / "reference" / "instruments.csv", root / "instruments.csv"):
        if candidate.is_file():
            day.instruments = str(candidate)
            break
    known = set(available_mappings())
    for path in sorted((root / "internal").glob("*.csv")):
        name = _stem_name(path)
        internal_layout = name in known and load_mapping(name).source == "internal"
        day.internal.append(FileInput(path=str(path), mapping=name if internal_layout else INTERNAL_DEFAULT_MAPPING))
    for sub in ("broker", "brokers"):
        for path in sorted((root / sub).glob("*.csv")):
            name = _stem_name(path)
            if name not in known:
                raise ValueError(f"{path}: no mapping named {name!r} for this broker file; known: {sorted(known)}")
            day.broker.append(FileInput(path=str(path), mapping=name, name=name))
    for path in sorted((root / "dropcopy").glob("*.fix")):
        day.dropcopy.append(FileInput(path=str(path), name=_stem_name(path)))
    if not (day.internal or day.broker or day.dropcopy):
        raise ValueError(f"{root}: found no internal/, broker/ or dropcopy/ files")
    return day


def split_mapping(text: str, default: str | None) -> tuple[str, str | None]:
    """'path/file.csv:northbridge' -> (path, mapping). A path that exists as written wins."""
    if Path(text).exists() or ":" not in text:
        return text, default
    path, _, mapping = text.rpartition(":")
    return path, mapping or default


def parse_internal(text: str) -> FileInput:
    """PATH[:MAPPING] (mapping default oms)."""
    path, mapping = split_mapping(text, INTERNAL_DEFAULT_MAPPING)
    return FileInput(path=path, mapping=mapping)


def parse_broker(text: str) -> FileInput:
    """NAME=PATH[:MAPPING] (mapping default NAME)."""
    name, sep, rest = text.partition("=")
    if not sep or not name or not rest:
        raise ValueError(f"--broker expects NAME=PATH[:MAPPING] (name the broker), got {text!r}")
    path, mapping = split_mapping(rest, name)
    return FileInput(path=path, mapping=mapping, name=name)


def parse_dropcopy(text: str) -> FileInput:
    """NAME=PATH."""
    name, sep, path = text.partition("=")
    if not sep or not name or not path:
        raise ValueError(f"--dropcopy expects NAME=PATH (name the broker), got {text!r}")
    return FileInput(path=path, name=name)


def from_args(
    landing_dir: str | Path | None = None,
    instruments: str | Path | None = None,
    internal: Iterable[str] = (),
    broker: Iterable[str] = (),
    dropcopy: Iterable[str] = (),
) -> DayInputs:
    """A landing directory's inputs (if given) plus explicit ones in the CLI's forms; an explicit
    instrument master wins over the directory's. Files are not checked here (check_files)."""
    day = discover(landing_dir) if landing_dir else DayInputs()
    return DayInputs(
        instruments=str(instruments) if instruments else day.instruments,
        internal=[*day.internal, *(parse_internal(t) for t in internal)],
        broker=[*day.broker, *(parse_broker(t) for t in broker)],
        dropcopy=[*day.dropcopy, *(parse_dropcopy(t) for t in dropcopy)],
    )
