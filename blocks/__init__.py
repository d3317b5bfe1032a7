"""Prefect blocks: one per external system, each with an embedded default. See blocks/README.md."""
