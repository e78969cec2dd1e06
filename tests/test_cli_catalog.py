"""`nhs-monitor catalog [QUERY] [--json]` lists the bundled catalogue, with support status."""

from __future__ import annotations

import json

from click.testing import CliRunner

from monitor.cli import main


def test_catalog_query_lists_bodies_with_their_ics_and_support():
    r = CliRunner().invoke(main, ["catalog", "north central"])
    assert r.exit_code == 0
    assert "Z9B2Z" in r.stdout and "West and North London ICB" in r.stdout      # the merged ICB
    assert "North Central London" in r.stdout and "needs" in r.stdout          # an unsupported site says why


def test_catalog_json_and_no_match():
    bodies = json.loads(CliRunner().invoke(main, ["catalog", "--json", "RAL"]).stdout)
    assert bodies[0]["ods"] == "RAL" and bodies[0]["url"].startswith("https://")
    r = CliRunner().invoke(main, ["catalog", "zzzz nowhere"])
    assert r.exit_code == 0 and "no NHS body matches" in r.stdout
