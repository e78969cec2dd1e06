"""Exit codes as the contract says: 0 ok, 1 store unreachable / a channel failed, 2 config error or unknown id."""

from __future__ import annotations

import textwrap

from click.testing import CliRunner

from monitor.cli import main


def invoke(cfg, *args):
    return CliRunner().invoke(main, ["--config", str(cfg), *args])


def test_store_unreachable_is_exit_1_with_the_password_hidden(tmp_path):
    cfg = tmp_path / "m.yaml"
    cfg.write_text("version: 1\ndatabase_url: postgresql+psycopg://u:Hunter2Secret@127.0.0.1:9/x\nsources: []\n")
    for args in (["run", "--once"], ["status"], ["alerts", "--json"]):
        r = invoke(cfg, *args)
        assert r.exit_code == 1, (args, r.output)
        assert "does not answer" in r.output and "Hunter2Secret" not in r.output


def test_config_error_is_exit_2(tmp_path):
    cfg = tmp_path / "m.yaml"
    cfg.write_text("version: 1\nsources:\n  - id: x\n    kind: feed\n")
    for args in (["validate"], ["run", "--once"], ["status"]):
        r = invoke(cfg, *args)
        assert r.exit_code == 2 and "m.yaml:3: sources.0.url: required key is missing" in r.output, (args, r.output)


def test_missing_config_file_is_exit_2(tmp_path):
    r = invoke(tmp_path / "nope.yaml", "validate")
    assert r.exit_code == 2 and "cannot read the config file" in r.output


def test_notify_test_reports_the_channel_error_redacted(tmp_path):
    cfg = tmp_path / "m.yaml"
    cfg.write_text(textwrap.dedent(f"""\
        version: 1
        database_url: sqlite:///{tmp_path}/m.db
        channels:
          mail: "mailto://user:Hunter2Secret@127.0.0.1:9?from=a@example.org&to=b@example.org"
        """))
    r = invoke(cfg, "notify-test", "mail")
    assert r.exit_code == 1 and "failed" in r.output and "Hunter2Secret" not in r.output
    assert invoke(cfg, "notify-test", "sms").exit_code == 2


def test_notify_test_success(tmp_path, webhook):
    cfg = tmp_path / "m.yaml"
    cfg.write_text(f"version: 1\ndatabase_url: sqlite:///{tmp_path}/m.db\nchannels:\n  hook: \"{webhook.apprise_url}\"\n")
    r = invoke(cfg, "notify-test", "hook")
    assert r.exit_code == 0 and r.output.startswith("sent:")
    assert len(webhook.received) == 1 and "test" in webhook.received[0]["payload"]["message"]


def test_a_crashing_source_is_recorded_as_a_failed_check(site, tmp_path, monkeypatch):
    from monitor.sources.feed import FeedSource

    async def boom(self, ctx):
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr(FeedSource, "check", boom)  # stands in for a parser bug not yet found
    cfg = tmp_path / "m.yaml"
    cfg.write_text(f"version: 1\ndatabase_url: sqlite:///{tmp_path}/m.db\n"
                   f"sources: [{{id: x, kind: feed, url: \"{site.url('/f')}\"}}]\n")
    assert invoke(cfg, "run", "--once").exit_code == 0
    import json

    [row] = json.loads(invoke(cfg, "status", "--json").stdout)
    assert row["last_error"] == "internal error: ZeroDivisionError: a bug" and row["consecutive_failures"] == 1
