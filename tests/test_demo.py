"""`nhs-monitor demo` works offline in a few seconds and shows the three alerts of its scenario."""

from __future__ import annotations

import subprocess
import sys


def test_demo_prints_the_three_alerts():
    r = subprocess.run([sys.executable, "-m", "monitor", "demo", "--fast"], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr[-2000:]
    out = r.stdout
    assert "Service change (no consultation): Item 7 – Paediatric emergency care" in out
    assert "(page 3)" in out and "no formal public consultation is required" in out
    assert "Merger: Westshire and Eastshire trusts to merge" in out
    assert "Petition passed 10,000 signatures" in out
    assert "3 alerts" in out
