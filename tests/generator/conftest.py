"""The generated day every generator test reads (generated once per session)."""

from __future__ import annotations

import pytest
from genday_helpers import Day, generate, load_day


@pytest.fixture(scope="session")
def day(tmp_path_factory) -> Day:
    return load_day(generate(tmp_path_factory.mktemp("genday")))
