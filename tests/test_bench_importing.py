"""bench/importing.py runs end to end on a tiny thread, so it cannot rot between full runs."""

from __future__ import annotations

import re

import pytest

from tests.test_bench_smoke import smoke


def test_import_bench_smoke() -> None:
    pytest.importorskip("datasketch")
    out = smoke("importing.py")
    assert re.search(r"^what +N +seconds +vs plain +peak MB +cores +precision +recall$", out, re.M)
    assert re.search(r"^plain load +500 +[\d.]+ +1\.0x +[\d,]+ +[\d.]+$", out, re.M), out
    # Every comment imported and folded as the generator made them.
    numbers = r" +[\d.]+ +[\d.]+x +[\d,]+ +[\d.]+"
    assert re.search(rf"^threadmark +500{numbers} +1\.000 +1\.000$", out, re.M), out
    assert re.search(r"^datasketch +500 +[\d.]+ +[\d.]+x ", out, re.M), out
    assert re.search(r"^target: import of 500 in <= 30 s, <= 1024 MB", out, re.M), out
