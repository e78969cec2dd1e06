"""A paper replaced at the same URL is a changed_document even when its listing page does not change;
only the added text is quoted, with its page. Driven through the CLI against loopback peers."""

from __future__ import annotations

import json
import textwrap

from click.testing import CliRunner

from monitor.cli import main
from tests.docgen import make_pdf

ROUTINE = "The Board received the integrated performance report and noted the position on waiting times."
CLOSURE = ("The Board agreed that the midwife-led birth centre at Eastfield Community Hospital will close "
           "temporarily from 1 January, with births moving to the County Hospital.")


def cli(cfg, *args):
    r = CliRunner().invoke(main, ["--config", str(cfg), *args], catch_exceptions=False)
    assert r.exit_code == 0, r.output
    return r


def test_revision_under_an_unchanged_listing(site, tmp_path):
    page = '<html><body><main><ul>{}</ul></main></body></html>'
    site.set("/board/", "text/html", page.format(""))
    cfg = tmp_path / "m.yaml"
    cfg.write_text(textwrap.dedent(f"""\
        version: 1
        database_url: sqlite:///{tmp_path}/m.db
        http: {{per_host_delay: 0s}}
        sources: [{{id: board, kind: board_papers, url: "{site.url('/board/')}", alert_on: any}}]
        """))
    cli(cfg, "run", "--once")                                   # baseline: an empty listing
    site.set("/board/", "text/html", page.format('<li><a href="/papers/pack.pdf">Board pack</a></li>'))
    site.set("/papers/pack.pdf", "application/pdf", make_pdf([ROUTINE, ROUTINE]))
    cli(cfg, "run", "--once")                                   # new_document (alert_on: any)
    site.set("/papers/pack.pdf", "application/pdf", make_pdf([ROUTINE, ROUTINE, CLOSURE]))
    site.clear_hits()
    cli(cfg, "run", "--once")                                   # listing 304; the pack is re-checked
    assert site.hits_for("/board/")[0].status == 304
    pack_hits = site.hits_for("/papers/pack.pdf")
    assert pack_hits and pack_hits[0].if_none_match               # a conditional request, not a blind download
    alerts = json.loads(cli(cfg, "alerts", "--json").stdout)
    assert [a["event"] for a in alerts] == ["changed_document", "new_document"]
    changed = alerts[0]
    assert "service_change" in changed["categories"]
    assert [e["page"] for e in changed["evidence"] if e["category"] == "service_change"] == [3]
    assert all(ROUTINE not in e["text"] for e in changed["evidence"])
    site.clear_hits()
    cli(cfg, "run", "--once")                                   # nothing new: nothing more
    assert len(json.loads(cli(cfg, "alerts", "--json").stdout)) == 2
