"""`run --once` checks every source (contract: "check **every** source now"), however many there are."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from monitor.cli import main
from tests.test_status import write_config


@pytest.mark.slow
def test_run_once_checks_every_source_of_a_network_larger_than_a_thousand(site, tmp_path):
    rss = ("<?xml version='1.0'?><rss version='2.0'><channel><title>t</title><link>https://x.example/</link>"
           "<description>d</description><item><title>Board meeting</title><link>https://x.example/1</link>"
           "<guid>https://x.example/1</guid></item></channel></rss>")
    site.set("/f.xml", "application/rss+xml", rss)
    n = 1_005
    sources = "".join(f'  - {{id: f{i:04d}, kind: feed, url: "{site.url("/f.xml")}"}}\n' for i in range(n))
    cfg = write_config(tmp_path / "monitor.yaml", f"""\
        version: 1
        database_url: sqlite:///{tmp_path}/monitor.db
        http: {{user_agent: "run-once-test/1.0", per_host_delay: 0s, per_host_concurrency: 16, concurrency: 16}}
        sources:
        """)
    cfg.write_text(cfg.read_text() + sources)
    r = CliRunner().invoke(main, ["--config", str(cfg), "--log-level", "WARNING", "run", "--once"])
    assert r.exit_code == 0 and r.stderr == "", r.output
    r = CliRunner().invoke(main, ["--config", str(cfg), "status", "--json"])
    rows = json.loads(r.stdout)
    assert len(rows) == n
    assert [row["id"] for row in rows if row["last_checked"] is None] == []
