"""Declarative source layouts (mappings/*.yaml) -> raw landing tables -> canonical SQL.

spec.py loads and validates a layout; load.py reads a file into raw_<name>; compile_sql.py (with
checks.py) turns the layout into the SQL that writes `executions` and `rejects`.
"""

from recon.mapping.spec import MappingError, MappingSpec, available_mappings, load_mapping, parse_mapping

__all__ = ["MappingError", "MappingSpec", "available_mappings", "load_mapping", "parse_mapping"]
