"""Split a framed message into its fields: a dict of top-level tags plus parsed repeating groups.

Tags stay strings ("31") and values stay text: the normalizer converts only what it reads. A
message without repeating groups (most ExecutionReports) takes the fast path: one str.split and
one dict() over the fields. Anything else walks the fields with the group dictionary.

Result shape: {"35": "AE", "552": "2", "552[]": [{"54": "1", "1": "ACC1"}, {...}], ...}; nested
groups sit inside their entry the same way. Repeated top-level tags outside any known group are
reported in the "dups" set so the normalizer rejects a message only when it needs such a tag.
"""

from __future__ import annotations

from recon.fix.groups import EMPTY, GROUPS, GroupSpec, tag_name
from recon.fix.tags import BEGIN_STRING, MSG_TYPE


class FieldError(ValueError):
    """The message cannot be split into fields; the text is the reject reason. `fields` holds the
    top-level fields read before the problem (the header, for the session layer)."""

    def __init__(self, reason: str, fields: dict | None = None):
        super().__init__(reason)
        self.fields = fields or {}


def split_fields(text: str, delim: str) -> tuple[dict, set[str]]:
    """-> (fields, repeated top-level tags). `text` runs from "8=" to the delimiter before "10="."""
    n = text.count(delim)
    if n == text.count("="):
        # No '=' inside any value: one split gives tags and values alternately (the fast path).
        kv = text[:-1].replace("=", delim).split(delim)
        if n >= 3 and len(kv) == 2 * n and kv[4] == MSG_TYPE:
            pairs = iter(kv)
            fields = dict(zip(pairs, pairs))  # noqa: B905 (tag, value) alternate
            specs = GROUPS.get(kv[5], EMPTY)
            if (
                len(fields) == n
                and "".join(fields).isdigit()
                and (not specs or specs.keys().isdisjoint(fields))
            ):
                return fields, set()
    parts = text.split(delim)
    if len(parts) < 4 or parts[-1] != "":
        raise FieldError("message has no fields after BodyLength(9)")
    if not parts[2].startswith(MSG_TYPE + "="):
        raise FieldError(f"MsgType(35) must be the third field, found {parts[2][:20]!r}")
    body = parts[2:-1]
    specs = GROUPS.get(parts[2][3:], EMPTY)
    try:
        return _walk(body, specs, parts[0][2:])
    except FieldError as exc:
        exc.fields = _leading_fields(parts)
        raise


def _leading_fields(parts: list[str]) -> dict[str, str]:
    """The first value of each tag up to the first piece that is not tag=value: what a reader that
    needs only the header (the session layer) can still use from a message the parser rejects."""
    out: dict[str, str] = {}
    for piece in parts[:-1]:
        tag, sep, value = piece.partition("=")
        if not sep or not tag.isdigit():
            break
        out.setdefault(tag, value)
    return out


def _pairs(body: list[str]) -> list[tuple[str, str]]:
    pairs = []
    for position, f in enumerate(body, start=3):
        tag, sep, value = f.partition("=")
        if not sep or not tag.isdigit():
            raise FieldError(f"malformed field #{position}: {f[:40]!r} (expected tag=value)")
        pairs.append((tag, value))
    return pairs


def _walk(body: list[str], specs: dict[str, GroupSpec], begin: str) -> tuple[dict, set[str]]:
    pairs = _pairs(body)
    fields: dict = {BEGIN_STRING: begin}
    dups: set[str] = set()
    i, n = 0, len(pairs)
    while i < n:
        tag, value = pairs[i]
        spec = specs.get(tag)
        if spec is not None:
            if tag in fields:
                raise FieldError(f"repeating group {tag_name(tag)} appears twice")
            fields[tag] = value
            fields[tag + "[]"], i = _read_group(pairs, i, spec)
            continue
        if tag in fields:
            dups.add(tag)
        else:
            fields[tag] = value
        i += 1
    return fields, dups


def _read_group(pairs: list[tuple[str, str]], i: int, spec: GroupSpec) -> tuple[list[dict], int]:
    """Read the group whose count field is pairs[i]; return its entries and the index after it."""
    count_tag, count_text = pairs[i]
    if not count_text.isdigit():
        raise FieldError(f"group count {tag_name(count_tag)} not a number: {count_text!r}")
    declared = int(count_text)
    delim, members, nested = spec
    i += 1
    n = len(pairs)
    entries: list[dict] = []
    while i < n and pairs[i][0] == delim:
        entry = {delim: pairs[i][1]}
        i += 1
        while i < n:
            tag, value = pairs[i]
            if tag == delim or tag not in members:
                break
            if tag in entry:
                raise FieldError(f"{tag_name(tag)} repeated within one {tag_name(count_tag)} entry")
            entry[tag] = value
            if tag in nested:
                entry[tag + "[]"], i = _read_group(pairs, i, nested[tag])
            else:
                i += 1
        entries.append(entry)
    if len(entries) != declared:
        if not entries and declared and i < n:
            found = f"; found {tag_name(pairs[i][0])} where {tag_name(delim)} must start the first entry"
        else:
            found = ""
        raise FieldError(
            f"group count mismatch: {tag_name(count_tag)}={declared} but {len(entries)} entries{found}"
        )
    return entries, i
