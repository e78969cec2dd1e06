"""`check SOURCE --dry-run` on a board source shows the pages it walked and the documents it found,
so an admin can tune `follow` and `documents`; it writes nothing and sends nothing."""

from __future__ import annotations

import json
import textwrap

from click.testing import CliRunner

from monitor.cli import main


def test_dry_run_lists_walked_pages_and_documents(site, tmp_path):
    site.set("/meetings/board/", "text/html",
             '<main><a href="/meetings/board/2026/">2026</a><a href="/meetings/board/2025/">2025</a></main>')
    site.set("/meetings/board/2026/", "text/html",
             '<main><a href="/meetings/board/2026/29-january-2026/">29 January 2026</a></main>')
    site.set("/meetings/board/2025/", "text/html", "<main><p>No meetings listed.</p></main>")
    site.set("/meetings/board/2026/29-january-2026/", "text/html",
             '<main><h2>Board meeting 29 January 2026</h2><a href="/media/ab12cd34/board-pack.pdf">Board pack</a>'
             '<a href="/download_file/view/4017/475">Minutes</a></main>')
    cfg = tmp_path / "m.yaml"
    cfg.write_text(textwrap.dedent(f"""\
        version: 1
        database_url: sqlite:///{tmp_path}/m.db
        http: {{per_host_delay: 0s}}
        sources:
          - id: cm-icb-board
            kind: board_papers
            url: "{site.url('/meetings/board/')}"
            follow: ['/20\\d\\d/$', '/\\d{{1,2}}-[a-z]+-20\\d\\d/$']
            documents: {{pattern: '\\.pdf|/download_file/'}}
        """))
    r = CliRunner().invoke(main, ["--config", str(cfg), "check", "cm-icb-board", "--dry-run"])
    assert r.exit_code == 0, r.output
    out = r.stdout
    for path in ("/meetings/board/", "/meetings/board/2026/", "/meetings/board/2026/29-january-2026/"):
        assert f"walked: {site.url(path)}" in out
    assert site.url("/media/ab12cd34/board-pack.pdf") in out and site.url("/download_file/view/4017/475") in out
    assert "silent baseline" in out
    alerts = CliRunner().invoke(main, ["--config", str(cfg), "alerts", "--json"])
    assert json.loads(alerts.stdout) == []
    status = json.loads(CliRunner().invoke(main, ["--config", str(cfg), "status", "--json"]).stdout)
    assert status[0]["last_checked"] is None                  # a dry run records nothing
