"""Prefect flows: composition of tasks only. See flows/README.md."""
