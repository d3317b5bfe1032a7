"""Which files a day's ingestion reads, and with which mapping: from explicit arguments
(`PATH[:MAPPING]`, `NAME=PATH[:MAPPING]`) or discovered in a day directory as the generator
writes it:

    <day>/reference/instruments.csv      instrument master
    <day>/internal/<name>[_*].csv        internal files (mapping <name> when it is an internal layout, else oms)
    <day>/broker/<broker>[_*].csv        broker files, mapping <broker>
    <day>/dropcopy/<broker>[_*].fix      FIX drop copies of <broker>
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path

from recon.mapping.spec import MappingError, available_mappings, load_mapping


@dataclass(frozen=True, slots=True)
class FileInput:
    path: str
    mapping: str
    broker: str | None = None


@dataclass
class DayInputs:
    instruments: str | None = None
    files: list[FileInput] = field(default_factory=list)
    dropcopy: dict[str, list[str]] = field(default_factory=dict)  # broker -> FIX files

    def to_json(self) -> dict:
        return {"instruments": self.instruments, "files": [asdict(f) for f in self.files], "dropcopy": self.dropcopy}


def split_mapping(text: str, default: str | None) -> tuple[str, str | None]:
    """'path/file.csv:northbridge' -> (path, mapping). A path that exists as written wins."""
    if Path(text).exists() or ":" not in text:
        return text, default
    path, _, mapping = text.rpartition(":")
    return path, mapping or default


def parse_internal_arg(text: str) -> FileInput:
    path, mapping = split_mapping(text, "oms")
    return FileInput(path, mapping)


def parse_broker_arg(text: str) -> FileInput:
    name, sep, rest = text.partition("=")
    if not sep or not name or not rest:
        raise MappingError(f"--broker expects NAME=PATH[:MAPPING], got {text!r}")
    path, mapping = split_mapping(rest, name)
    return FileInput(path, mapping, name)


def parse_dropcopy_arg(text: str) -> tuple[str, str]:
    name, sep, path = text.partition("=")
    if not sep or not name or not path:
        raise MappingError(f"--dropcopy expects NAME=PATH, got {text!r}")
    return name, path


def _stem_name(path: Path) -> str:
    return path.stem.split("_")[0].lower()


def discover_day(day_dir: str | Path) -> DayInputs:
    day = Path(day_dir)
    if not day.is_dir():
        raise MappingError(f"day directory {day} does not exist")
    inputs = DayInputs()
    for candidate in (day / "reference" / "instruments.csv", day / "instruments.csv"):
        if candidate.is_file():
            inputs.instruments = str(candidate)
            break
    known = set(available_mappings())
    for path in sorted((day / "internal").glob("*.csv")):
        name = _stem_name(path)
        mapping = name if name in known and load_mapping(name).source == "internal" else "oms"
        inputs.files.append(FileInput(str(path), mapping))
    for sub in ("broker", "brokers"):
        for path in sorted((day / sub).glob("*.csv")):
            name = _stem_name(path)
            if name not in known:
                raise MappingError(f"{path}: no mapping named {name!r} for this broker file; known: {sorted(known)}")
            inputs.files.append(FileInput(str(path), name, name))
    for path in sorted((day / "dropcopy").glob("*.fix")):
        inputs.dropcopy.setdefault(_stem_name(path), []).append(str(path))
    if not inputs.files and not inputs.dropcopy:
        raise MappingError(f"{day}: found no internal/, broker/ or dropcopy/ files to ingest")
    return inputs


def plan_inputs(
    day_dir: str | None = None,
    instruments: str | None = None,
    internal: list[str] | None = None,
    brokers: list[str] | None = None,
    dropcopy: list[str] | None = None,
) -> DayInputs:
    """Explicit arguments, on top of what a day directory holds (explicit ones win for instruments)."""
    plan = discover_day(day_dir) if day_dir else DayInputs()
    if instruments:
        plan.instruments = instruments
    plan.files += [parse_internal_arg(t) for t in internal or []]
    plan.files += [parse_broker_arg(t) for t in brokers or []]
    for t in dropcopy or []:
        name, path = parse_dropcopy_arg(t)
        plan.dropcopy.setdefault(name, []).append(path)
    return plan
