"""Encoded queries (`sysparm_query`) as the ServiceNow Table API reads them, for the emulator.

Grammar (the subset the published docs describe): conditions joined by `^` (AND) and `^OR` (OR with
the previous condition), `^NQ` (a new OR'ed query), and `ORDERBY<field>` / `ORDERBYDESC<field>`.
A condition is `<field><operator><value>`; operators below, longest first so `!=` wins over `=`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

_OPERATORS = [
    "ISNOTEMPTY", "ISEMPTY", "STARTSWITH", "ENDSWITH", "NOTLIKE", "LIKE", "NOT IN", "IN",
    "!=", ">=", "<=", "=", ">", "<",
]  # fmt: skip
_FIELD = re.compile(r"^[a-z_][a-z0-9_.]*")  # field names are lower case: LIKE etc. end them


class QueryError(ValueError):
    pass


@dataclass
class Condition:
    field: str
    op: str
    value: str

    def test(self, record: dict[str, str]) -> bool:
        have = record.get(self.field, "")
        return _TESTS[self.op](have, self.value)


@dataclass
class EncodedQuery:
    # OR of AND-groups of OR-alternatives: [[[c1, c1_or], [c2]], ...] (NQ splits the outer level)
    queries: list[list[list[Condition]]] = field(default_factory=list)
    order: list[tuple[str, bool]] = field(default_factory=list)  # (field, descending)

    def matches(self, record: dict[str, str]) -> bool:
        if not self.queries:
            return True
        return any(all(any(c.test(record) for c in alts) for alts in q) for q in self.queries)

    def sort(self, records: list[dict[str, str]]) -> list[dict[str, str]]:
        for name, desc in reversed(self.order):  # stable sorts, last key first
            records = sorted(records, key=lambda r, n=name: _sort_key(r.get(n, "")), reverse=desc)
        return records


def parse(text: str | None) -> EncodedQuery:
    query = EncodedQuery()
    if not text:
        return query
    for part in text.split("^NQ"):
        groups: list[list[Condition]] = []
        for token in part.split("^"):
            if not token:
                continue
            if token.startswith("ORDERBYDESC"):
                query.order.append((token[len("ORDERBYDESC") :], True))
            elif token.startswith("ORDERBY"):
                query.order.append((token[len("ORDERBY") :], False))
            elif token.startswith("OR") and groups and _FIELD.match(token[2:]):
                groups[-1].append(_condition(token[2:]))
            else:
                groups.append([_condition(token)])
        if groups:
            query.queries.append(groups)
    return query


def _condition(token: str) -> Condition:
    m = _FIELD.match(token)
    if not m:
        raise QueryError(f"invalid condition {token!r}")
    name, rest = m.group(0), token[m.end() :]
    for op in _OPERATORS:
        if rest.startswith(op):
            return Condition(name, op, rest[len(op) :])
    raise QueryError(f"unknown operator in condition {token!r}")


def _num(s: str) -> float | None:
    try:
        return float(s)
    except ValueError:
        return None


def _compare(a: str, b: str) -> int:
    na, nb = _num(a), _num(b)
    if na is not None and nb is not None:
        return (na > nb) - (na < nb)
    return (a > b) - (a < b)  # dates 'YYYY-MM-DD HH:MM:SS' compare as text


def _sort_key(value: str):
    n = _num(value)
    return (0, n, "") if n is not None else (1, 0.0, value.lower())


_TESTS: dict[str, Callable[[str, str], bool]] = {
    "=": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    "LIKE": lambda a, b: b.lower() in a.lower(),
    "NOTLIKE": lambda a, b: b.lower() not in a.lower(),
    "STARTSWITH": lambda a, b: a.lower().startswith(b.lower()),
    "ENDSWITH": lambda a, b: a.lower().endswith(b.lower()),
    "IN": lambda a, b: a in b.split(","),
    "NOT IN": lambda a, b: a not in b.split(","),
    "ISEMPTY": lambda a, b: a == "",
    "ISNOTEMPTY": lambda a, b: a != "",
    ">": lambda a, b: _compare(a, b) > 0,
    ">=": lambda a, b: _compare(a, b) >= 0,
    "<": lambda a, b: _compare(a, b) < 0,
    "<=": lambda a, b: _compare(a, b) <= 0,
}
