"""Anomaly detection on reconciled trades: features, PyOD models, explanations, registry, serving.

The scoring step that uses these lives in tasks/anomaly.py; the model backend (in process or a
SageMaker endpoint) in blocks/anomaly_model.py. See docs/anomaly.md.
"""
