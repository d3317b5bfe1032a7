"""Drift monitoring: a day like the training days raises nothing; a day where one feature's
distribution has moved (a broker charging three times its old rate, no schedule to say so) gets
exactly one P2 model-drift incident, delivered through the outbox to ServiceNow (the Table API
emulator), and a rerun of the check adds none."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import numpy as np
import pytest

from blocks.anomaly_model import AnomalyModel
from blocks.servicenow import ServiceNow
from recon.anomaly.features import FEATURE_NAMES
from tasks.anomaly import score_pair
from tasks.anomaly_monitor import monitor_model
from tasks.incidents import deliver_outbox
from tasks.match import match_day
from tests.support.servicenow_emulator import ServiceNowEmulator

pytestmark = pytest.mark.slow
NOW = datetime(2026, 11, 25, 22, 0)


def _outbox(wh) -> list[dict]:
    return wh.fetch_rows("SELECT break_id, op, status, payload FROM incident_outbox ORDER BY seq")


def _shifted_copy(wh, day, to_day, feature: str, factor: float) -> None:
    """The day's scored links again under another date, one feature multiplied."""
    j = FEATURE_NAMES.index(feature)
    rows = wh.fetch_rows("SELECT * FROM anomaly_links WHERE trade_date = :d", {"d": day})
    for r in rows:
        x = json.loads(r["features"])
        x[j] *= factor
        r.update(trade_date=to_day, features=json.dumps(x))
    import pyarrow as pa

    wh.load_arrow("anomaly_links", pa.Table.from_pylist(rows))


@pytest.fixture(scope="module")
def one_day_model(anomaly_root, trained, tmp_path_factory) -> tuple[str, str]:
    """A model fitted on one training day landed alone, as the evaluation day is (same set-up)."""
    from recon.anomaly import registry
    from recon.anomaly.models import fit_model
    from tasks.anomaly_train import labelled_frames
    from tests.anomaly.conftest import TRAIN_DAYS

    root = tmp_path_factory.mktemp("monitor-models")
    (frame, _labels), = labelled_frames([anomaly_root / f"day-{TRAIN_DAYS[0][1]}"], root, reference=True)
    version = registry.save(fit_model(frame.X), {"trade_dates": [TRAIN_DAYS[0][0].isoformat()]}, root=str(root))
    return version, str(root)


def test_one_drift_incident_for_a_shifted_feature_none_for_a_usual_day(landed_day_wh, eval_day, one_day_model,
                                                                         pin_clock):
    pin_clock(NOW)
    wh, d = landed_day_wh, eval_day["trade_date"]
    version, root = one_day_model
    block = AnomalyModel(registry_dir=root)
    for recon in ("broker", "dropcopy"):
        match_day(wh, d, recon)
        score_pair(wh, d, recon, block)

    usual = monitor_model(wh, d, block)
    assert usual["model"] == version and usual["links"] > 1000
    assert usual["drifted"] == [] and usual["incident"] is None, usual["table"][:3]
    assert wh.scalar("SELECT COUNT(*) FROM incident_outbox") == 0

    shifted_day = d + timedelta(days=1)
    _shifted_copy(wh, d, shifted_day, "commission_ratio", 3.0)
    out = monitor_model(wh, shifted_day, block)
    assert "commission_ratio" in out["drifted"]
    assert set(out["drifted"]) <= {"commission_ratio", "anomaly_score"}, out["table"][:4]
    assert out["incident"] == f"model-drift:{version}:{shifted_day.isoformat()}"
    monitor_model(wh, shifted_day, block)  # the check runs again (a rerun of the day): no second incident
    rows = _outbox(wh)
    assert len(rows) == 1 and rows[0]["break_id"] == out["incident"] and rows[0]["status"] == "pending"
    payload = json.loads(rows[0]["payload"])
    assert payload["break"]["priority"] == "P2" and payload["break"]["break_type"] == "MODEL_DRIFT"
    assert "commission_ratio PSI" in payload["break"]["anomaly_explanation"]
    kept = wh.fetch_rows("SELECT trade_date, drifted, max_psi FROM model_drift ORDER BY trade_date")
    assert [str(r["trade_date"]) for r in kept] == [d.isoformat(), shifted_day.isoformat()]
    assert kept[0]["drifted"] is None and "commission_ratio" in kept[1]["drifted"] and kept[1]["max_psi"] > 0.25

    em = ServiceNowEmulator().start()
    try:
        em.add_user("recon.integration", "pw-123456", "Recon Integration")
        sn = ServiceNow(instance_url=em.url, auth="basic", username="recon.integration", password="pw-123456",
                        timeout_seconds=2.0)
        counts = deliver_outbox(wh, sn)
        sn.close()
        assert counts["delivered"] == 1 and counts["pending"] == 0, counts
        incidents = list(em.tables["incident"].values())
        assert len(incidents) == 1
        inc = incidents[0]
        assert inc["correlation_id"] == out["incident"] and (inc["impact"], inc["urgency"]) == ("1", "2")
        assert "MODEL_DRIFT" in inc["short_description"] and "commission_ratio PSI" in inc["description"]
    finally:
        em.stop()


def test_psi_is_zero_on_the_training_sample_and_large_for_a_shift():
    from recon.anomaly.monitor import bins_of, psi

    rng = np.random.default_rng(5)
    train = rng.lognormal(0, 1, 5000)
    b = bins_of(train)
    assert psi(b, train) == pytest.approx(0, abs=1e-9)
    assert psi(b, rng.lognormal(0, 1, 3000)) < 0.05
    assert psi(b, rng.lognormal(1.0, 1, 3000)) > 0.25
    mostly_zero = np.r_[np.zeros(4990), np.ones(10)]
    assert psi(bins_of(mostly_zero), np.r_[np.zeros(2000), np.ones(3)]) < 0.05
