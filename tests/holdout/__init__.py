"""An independent holdout data source for fix-recon.

A second maker of trading days, written without reading or importing recon/generator/: its own
instrument universe, an OMS export, three prime brokers' end-of-day files and their FIX drop copies
(encoded with QuickFIX), in layouts and conventions of real funds and counterparties, plus the
truth.json that recon/evaluate.py scores. See tests/holdout/README.md.
"""
