"""Reconciliation steps: plain functions (the logic) and the @task wrappers around them. See tasks/README.md."""
