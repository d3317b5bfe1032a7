"""Spec loading: the shipped layouts load; mistakes are named by file and key."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlglot
import yaml

from recon.mapping import MappingError, available_mappings, load_mapping, parse_mapping
from recon.mapping.compile_sql import compile_mapping
from recon.mapping.formats import strptime_to_snowflake
from recon.mapping.load import raw_column_name

MINIMAL = {
    "name": "acme",
    "source": "broker",
    "fields": {
        "record_id": "Ref",
        "account": "Acct",
        "instrument": {"type": "isin", "column": "ISIN"},
        "side": {"column": "Side", "codes": {"B": "buy", "S": "sell"}},
        "quantity": {"column": "Qty"},
        "price": {"column": "Px"},
        "trade_date": {"column": "TD", "format": "%Y%m%d"},
    },
}


def _with(path: str, value):
    """MINIMAL with one key (dotted path) replaced; value None deletes it."""
    doc = yaml.safe_load(yaml.safe_dump(MINIMAL))
    *parents, last = path.split(".")
    node = doc
    for p in parents:
        node = node[p]
    if value is None:
        del node[last]
    else:
        node[last] = value
    return doc


@pytest.mark.parametrize("name", ["oms", "northbridge", "castlerock", "meridian"])
def test_shipped_mappings_load_and_compile_to_snowflake_sql(name):
    spec = load_mapping(name)
    assert spec.name == name
    header = spec.columns()
    sql = compile_mapping(spec, header, {h: raw_column_name(h) for h in header})
    for text in (sql.executions_sql, sql.rejects_sql):
        parsed = sqlglot.parse_one(text, read="snowflake", error_level=sqlglot.ErrorLevel.RAISE)
        assert parsed.key == "insert"


def test_available_mappings_lists_the_shipped_files():
    assert {"oms", "northbridge", "castlerock", "meridian"} <= set(available_mappings())


def test_minimal_spec_defaults():
    spec = parse_mapping(MINIMAL, "acme.yaml")
    assert spec.record_kind == "trade" and spec.currency.default == "USD" and spec.file.delimiter == ","
    assert spec.columns() == ["Ref", "Acct", "ISIN", "Side", "Qty", "Px", "TD"]


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        (_with("colour", "red"), "acme.yaml: top level: unknown key(s) ['colour']"),
        (_with("fields.strike", "K"), "acme.yaml: fields: unknown key(s) ['strike']"),
        (_with("fields.account", None), "acme.yaml: fields: missing required key(s) ['account']"),
        (_with("source", "vendor"), "acme.yaml: source: 'vendor' is not one of internal, broker"),
        (_with("name", "Acme Corp"), "acme.yaml: name: 'Acme Corp' must be lowercase"),
        (_with("fields.side.codes", {"B": "purchase"}), "acme.yaml: fields.side.codes['B']: 'purchase' is not one of buy"),
        (_with("fields.side.codes", {"B|S": "sell_short"}), "fields.side.codes['B|S']: a 'value|qualifier' code needs side.qualifier"),
        (_with("fields.side", {"from_quantity_sign": True, "codes": {"+": "buy"}}), "from_quantity_sign needs fields.quantity.signed: true"),
        (_with("fields.side", {"column": "Side", "from_quantity_sign": True, "codes": {"+": "buy"}}), "give exactly one of column"),
        (_with("fields.instrument", {"type": "ric", "column": "R"}), "fields.instrument.type: 'ric' is not one of"),
        (_with("fields.instrument", {"type": "ticker_mic", "column": "T"}), "type ticker_mic needs mic_column"),
        (_with("fields.instrument", {"type": "from_column", "column": "T"}), "type from_column needs type_column and type_codes"),
        (_with("fields.trade_date", {"column": "TD", "format": "%Y%j"}), "fields.trade_date.format: unsupported format code '%j'"),
        (_with("fields.trade_date", {"column": "TD"}), "fields.trade_date: missing required key(s) ['format']"),
        (_with("fields.price", {"column": "Px", "scale": 0.01}), "fields.price.scale: write numbers as quoted strings"),
        (_with("fields.price", {"column": "Px", "scale": "-1"}), "fields.price.scale: must be positive"),
        (_with("fields.fees", {"column": "F", "columns": ["G"]}), "fields.fees: give exactly one of column or columns"),
        (_with("filters", [{"column": "Status", "in": ["A"], "not_in": ["B"]}]), "filters[0]: give exactly one of in or not_in"),
        (_with("file", {"delimiter": ";;"}), "file.delimiter: expected one character"),
        (_with("record_kind", "order"), "record_kind: 'order' is not one of fill, allocation, trade"),
        (_with("covers", ["crypto"]), "covers: 'crypto' is not one of"),
        (_with("fields.currency", {"default": "usd"}), "fields.currency.default: expected a 3-letter ISO code"),
    ],
)
def test_spec_errors_name_the_file_and_the_key(doc, message):
    with pytest.raises(MappingError) as err:
        parse_mapping(doc, "acme.yaml")
    assert message in str(err.value)


def test_load_mapping_errors_for_unknown_names_and_bad_yaml(tmp_path: Path):
    with pytest.raises(MappingError, match="no mapping 'nosuch'.*shipped mappings: .*northbridge"):
        load_mapping("nosuch")
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: [unclosed\n")
    with pytest.raises(MappingError, match=r"bad\.yaml: not valid YAML"):
        load_mapping(bad)
    wrong = tmp_path / "wrong.yaml"
    wrong.write_text(yaml.safe_dump(_with("fields.side.codes", {"B": "long"})))
    with pytest.raises(MappingError, match=r"wrong\.yaml: fields\.side\.codes\['B'\]"):
        load_mapping(wrong)


@pytest.mark.parametrize(
    ("fmt", "snowflake"),
    [
        ("%Y%m%d", "YYYYMMDD"),
        ("%d/%m/%Y", "DD/MM/YYYY"),
        ("%Y-%m-%dT%H:%M:%S.%f", 'YYYY-MM-DD"T"HH24:MI:SS.FF6'),
        ("%d-%b-%y %I:%M %p", "DD-MON-YY HH12:MI AM"),
    ],
)
def test_strptime_formats_become_snowflake_formats_and_transpile_back(fmt, snowflake):
    assert strptime_to_snowflake(fmt) == snowflake
    duck = sqlglot.transpile(f"SELECT TRY_TO_TIMESTAMP(x, '{snowflake}')", read="snowflake", write="duckdb")[0]
    assert f"'{fmt}'" in duck


def test_raw_column_names_are_safe_identifiers():
    assert raw_column_name("trade.ref") == "f_trade_ref"
    assert raw_column_name("CONF_NO") == "f_conf_no"
    assert raw_column_name("Net Amt (USD)") == "f_net_amt_usd"
    assert raw_column_name("select") == "f_select"
    assert raw_column_name("x'; DROP TABLE executions; --") == "f_x_drop_table_executions"
