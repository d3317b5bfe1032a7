"""Streaming reconciliation, step 1: one micro-batch of stream records -> drop-copy executions.

A batch travels as small JSON (a list of {data, partition_key, shard_id, sequence_number, arrival,
broker?} dicts, data as latin-1 text), so the step runs the same under Prefect and as a Step
Functions task. Idempotency is by content: a record whose bytes were processed before (a
redelivery after a crash, a replay of the same log) is skipped; everything else goes through the
same FIX parser and lifecycle as the daily flow (tasks/fix_ingest.py), with one FixBook per
(stream, broker) kept across batches so corrections and busts reach fills of earlier batches.
Executions are upserted by (broker, ExecID): a corrected fill replaces its row, a bust deletes it.

The book lives in process memory and is rebuilt from `stream_messages` (the raw text of every
processed record, in order) when a process starts, or after a failed batch: its state always
equals what was committed.
"""

from __future__ import annotations

import hashlib
import weakref
from datetime import UTC, datetime

import pyarrow as pa
from prefect import task
from prefect.cache_policies import NO_CACHE

from blocks.stream_records import StreamRecord
from blocks.warehouse import SqlStatements, Warehouse, get_warehouse
from recon import clock
from recon.fix import FixBook, ParseResult
from recon.instruments import InstrumentMaster, instrument_from_row
from recon.model import Execution, Reject, executions_to_arrow, rejects_to_arrow
from recon.paths import recon_home
from tasks.fix_ingest import parse_fix_messages
from tasks.ingest import ensure_tables

SOURCE = "dropcopy"
_BOOKS: dict[tuple[str, str, str], tuple[FixBook, InstrumentMaster | None]] = {}
_ENSURED: weakref.WeakValueDictionary = weakref.WeakValueDictionary()
SQL = SqlStatements("43_stream_ingest.sql")


# ---- the batch as JSON ----------------------------------------------------------------------
def batch_payload(records: list[StreamRecord], broker: str | None = None) -> list[dict]:
    """Consumer records -> the JSON list a flow (or a Step Functions execution) takes."""
    out = []
    for r in records:
        item = {
            "data": r.data.decode("latin-1"),
            "partition_key": r.partition_key,
            "shard_id": r.shard_id,
            "sequence_number": r.sequence_number,
            "arrival": r.arrival.isoformat() if r.arrival else None,
        }
        if broker:
            item["broker"] = broker
        out.append(item)
    return out


def batch_id_of(batch: list[dict]) -> str:
    """Deterministic: a redelivered batch (same shard positions) gets the same id."""
    h = hashlib.md5(usedforsecurity=False)
    for r in batch:
        h.update(f"{r['shard_id']}:{r['sequence_number']}|".encode())
    return h.hexdigest()


def utcnow() -> datetime:
    return clock.utcnow()


def _arrival(value: str | None, default: datetime) -> datetime:
    if not value:
        return default
    at = datetime.fromisoformat(value)
    return at.astimezone(UTC).replace(tzinfo=None) if at.tzinfo else at


def _tag(data: bytes, tag: bytes) -> str | None:
    """A header tag's value, whatever the delimiter (SOH or '|'); no full parse."""
    for delim in (b"\x01", b"|"):
        at = data.find(delim + tag + b"=")
        if at >= 0:
            start = at + len(tag) + 2
            end = data.find(delim, start)
            return data[start : end if end >= 0 else None].decode("latin-1")
    return None


def resolve_broker(item: dict, data: bytes, broker: str | None, senders: dict[str, str] | None) -> str | None:
    """The record's own broker tag, else SenderCompID(49) through `senders`, else the stream's broker."""
    if item.get("broker"):
        return item["broker"]
    if senders:
        sender = _tag(data, b"49")
        if sender in senders:
            return senders[sender]
    return broker


def record_name(stream: str, item: dict) -> str:
    """Where a record came from, as the `file` of its executions and rejects."""
    return f"stream:{stream}:{item['shard_id']}:{item['sequence_number']}"


# ---- the lifecycle book ---------------------------------------------------------------------
def _book_key(warehouse_ref: str | None, stream: str, broker: str) -> tuple[str, str, str]:
    return (f"{warehouse_ref or ''}@{recon_home()}", stream, broker)


def _master(wh: Warehouse) -> InstrumentMaster | None:
    rows = wh.fetch_rows(SQL.instruments)
    if not rows:
        return None
    return InstrumentMaster([instrument_from_row({k: "" if v is None else str(v) for k, v in r.items()}) for r in rows])


def book_for(wh: Warehouse, warehouse_ref: str | None, stream: str, broker: str) -> tuple[FixBook, InstrumentMaster | None]:
    """The (stream, broker) book, rebuilt from the committed messages when this process has none."""
    key = _book_key(warehouse_ref, stream, broker)
    if key not in _BOOKS:
        book, master = FixBook(), _master(wh)
        rows = wh.fetch_rows(SQL.book_messages, {"s": stream, "b": broker})
        if rows:
            records = [(r["data"].encode("latin-1"), f"stream:{stream}:{r['shard_id']}:{r['sequence_number']}", 1)
                       for r in rows]  # fmt: skip
            parse_fix_messages(records, broker, master, book)
        _BOOKS[key] = (book, master)
    return _BOOKS[key]


def forget_books() -> None:
    """Drop every in-process book (tests; a failed batch drops its own)."""
    _BOOKS.clear()


# ---- the step -------------------------------------------------------------------------------
def ensure_stream_tables(wh: Warehouse) -> None:
    """Create the tables once per warehouse object (DDL commits: not on every batch)."""
    if _ENSURED.get(id(wh)) is wh:
        return
    ensure_tables(wh)
    wh.ensure_schema("41_stream_tables.sql")
    wh.run_file("42_stream_work_tables.sql")
    _ENSURED[id(wh)] = wh


def _known_hashes(wh: Warehouse, stream: str, hashes: list[str]) -> set[str]:
    wh.execute(SQL.clear_hashes)
    wh.load_arrow("w_stream_hashes", pa.table({"msg_hash": hashes}))
    rows = wh.fetch_rows(SQL.known_hashes, {"s": stream})
    return {r["msg_hash"] for r in rows}


def ingest_stream_batch(
    batch: list[dict],
    stream: str,
    broker: str | None = None,
    senders: dict[str, str] | None = None,
    warehouse_ref: str | None = None,
) -> dict:
    """Parse the batch's new records and commit executions, rejects and the records, atomically.

    -> small JSON: batch_id, started_at, counts. Records of an unknown broker become rejects.
    """
    started = utcnow()
    wh = get_warehouse(warehouse_ref)
    ensure_stream_tables(wh)
    batch_id = batch_id_of(batch) if batch else None  # an empty poll: windows passing only
    raw = [item["data"].encode("latin-1") for item in batch]
    hashes = [hashlib.md5(d, usedforsecurity=False).hexdigest() for d in raw]
    known = _known_hashes(wh, stream, hashes) if batch else set()
    fresh, seen_in_batch = [], set()
    for item, data, h in zip(batch, raw, hashes, strict=True):
        if h in known or h in seen_in_batch:
            continue
        seen_in_batch.add(h)
        fresh.append((item, data, h, resolve_broker(item, data, broker, senders)))

    summary = {"batch_id": batch_id, "stream": stream, "started_at": started.isoformat(), "records": len(batch),
               "redelivered": len(batch) - len(fresh), "parsed": 0, "rejects": 0, "executions": 0, "removed": 0}  # fmt: skip
    if not fresh:
        return summary
    by_broker: dict[str, list] = {}
    rejects: list[Reject] = []
    for entry in fresh:
        item, data, _, b = entry
        if b is None:
            sender = _tag(data, b"49")
            rejects.append(Reject(SOURCE, record_name(stream, item), 1,
                                  f"unknown broker: SenderCompID(49)={sender!r} is not configured for this stream",
                                  _tag(data, b"17"), data.decode("latin-1").replace("\x01", "|")))  # fmt: skip
        else:
            by_broker.setdefault(b, []).append(entry)

    touched: list[str] = []
    try:
        results: dict[str, ParseResult] = {}
        for b, entries in by_broker.items():
            touched.append(b)
            book, master = book_for(wh, warehouse_ref, stream, b)
            results[b] = parse_fix_messages(
                [(data, record_name(stream, item), 1) for item, data, _, _ in entries], b, master, book
            )
        _commit(wh, stream, batch_id, started, fresh, results, rejects)
    except BaseException:
        for b in touched:  # the book moved ahead of what is committed: rebuild it next time
            _BOOKS.pop(_book_key(warehouse_ref, stream, b), None)
        raise
    for res in results.values():
        summary["parsed"] += sum(t["parsed"] for t in res.totals.values())
        summary["rejects"] += len(res.rejects)
        summary["executions"] += len(res.executions)
        summary["removed"] += len(res.removed)
    summary["rejects"] += len(rejects)
    return summary


def _commit(wh: Warehouse, stream: str, batch_id: str, now: datetime, fresh: list, results: dict[str, ParseResult],
            extra_rejects: list[Reject]) -> None:  # fmt: skip
    executions: list[Execution] = [e for res in results.values() for e in res.executions]
    rejects = extra_rejects + [r for res in results.values() for r in res.rejects]
    ids = {"broker": [], "record_id": []}
    for b, res in results.items():
        for rid in [e.record_id for e in res.executions] + list(res.removed):
            ids["broker"].append(b)
            ids["record_id"].append(rid)
    arrival_of = {record_name(stream, item): _arrival(item.get("arrival"), now) for item, _, _, _ in fresh}
    with wh.exclusive():
        base = wh.scalar(SQL.last_ord, {"s": stream}) or 0
        wh.execute(SQL.clear_ids)
        wh.load_arrow("w_stream_ids", pa.table(ids, schema=pa.schema([("broker", pa.string()), ("record_id", pa.string())])))
        with wh.transaction():
            _write(wh, stream, batch_id, now, fresh, executions, rejects, arrival_of, int(base))


def _write(wh, stream, batch_id, now, fresh, executions, rejects, arrival_of, base) -> None:
    p = {"batch": batch_id, "now": now}
    wh.execute(SQL.dirty_from_busted, p)
    wh.execute(SQL.delete_replaced_executions)
    if executions:
        wh.load_arrow("executions", executions_to_arrow(executions))
        fills = {"broker": [], "record_id": [], "account": [], "instrument_id": [], "trade_date": [],
                 "first_arrival": [], "first_seen": []}  # fmt: skip
        for e in executions:
            fills["broker"].append(e.broker)
            fills["record_id"].append(e.record_id)
            fills["account"].append(e.account)
            fills["instrument_id"].append(e.instrument_id)
            fills["trade_date"].append(e.trade_date)
            fills["first_arrival"].append(arrival_of.get(e.file or "", now))
            fills["first_seen"].append(now)
        wh.execute(SQL.clear_fills)
        wh.load_arrow("w_stream_fills", pa.table(fills))
        wh.execute(SQL.insert_new_fills)
        wh.execute(SQL.dirty_from_fills, p)
    wh.execute(SQL.mark_busted, p)
    if rejects:
        wh.load_arrow("rejects", rejects_to_arrow(rejects))
    messages = {"stream": [], "msg_hash": [], "broker": [], "shard_id": [], "sequence_number": [],
                "partition_key": [], "arrival": [], "batch_id": [], "ord": [], "data": []}  # fmt: skip
    for i, (item, data, h, b) in enumerate(fresh, start=1):
        for k, v in (("stream", stream), ("msg_hash", h), ("broker", b), ("shard_id", item["shard_id"]),
                     ("sequence_number", item["sequence_number"]), ("partition_key", item.get("partition_key")),
                     ("arrival", arrival_of[record_name(stream, item)]), ("batch_id", batch_id), ("ord", base + i),
                     ("data", data.decode("latin-1"))):  # fmt: skip
            messages[k].append(v)
    wh.load_arrow("stream_messages", pa.table(messages))


ingest_stream_batch_task = task(ingest_stream_batch, name="stream-ingest-batch", cache_policy=NO_CACHE)
