"""Config loading: every problem reported as FILE:LINE: dotted.path: message; env expansion; secrets."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest

from monitor.config import load_config
from monitor.errors import ConfigError

ROOT = Path(__file__).resolve().parent.parent

GOOD = """\
version: 1
database_url: sqlite:///x.db
channels:
  mail: "mailtos://user:${SMTP_PASSWORD}@smtp.example.org?to=a@example.org"
subscriptions:
  - name: group
    channels: [mail]
sources:
  - id: news
    kind: feed
    url: https://example.org/feed
"""


def write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "monitor.yaml"
    p.write_text(textwrap.dedent(text))
    return p


def problems(tmp_path: Path, text: str, env: dict[str, str] | None = None) -> list[str]:
    with pytest.raises(ConfigError) as exc:
        load_config(write(tmp_path, text), {"SMTP_PASSWORD": "hunter2-secret"} if env is None else env)
    return exc.value.problems


def test_good_config_loads_and_expands_env(tmp_path):
    cfg = load_config(write(tmp_path, GOOD), {"SMTP_PASSWORD": "hunter2-secret"})
    assert cfg.channel_urls("mail")[0].startswith("mailtos://user:hunter2-secret@")
    assert "hunter2-secret" in cfg.secrets
    assert cfg.sources[0].kind == "feed"


CASES = [
    ("unknown top-level key", GOOD + "colour: blue\n", 12, "colour", "unknown key"),
    ("unknown source key", GOOD + "    urll: https://x\n", 12, "sources.0.urll", "unknown key"),
    ("bad duration", GOOD + "    interval: 6 hours\n", 12, "sources.0.interval", "not a duration"),
    ("unknown kind", GOOD.replace("kind: feed", "kind: fed"), 10, "sources.0.kind", "unknown source kind 'fed'"),
    ("missing channel", GOOD.replace("channels: [mail]", "channels: [mail, sms]"), 7,
     "subscriptions.0.channels.1", "no channel named 'sms'"),
    ("duplicate id", GOOD + "  - id: news\n    kind: feed\n    url: https://example.org/2\n", 12, "sources.1.id",
     "duplicate source id 'news'"),
    ("bad source id", GOOD.replace("id: news", "id: News Feed"), 9, "sources.0.id", "pattern"),
    ("bad delivery", GOOD.replace("channels: [mail]", "channels: [mail]\n    delivery: daily 8am"), 8,
     "subscriptions.0.delivery", "delivery"),
    ("bad timezone", GOOD.replace("channels: [mail]", "channels: [mail]\n    timezone: Mars/Olympus"), 8,
     "subscriptions.0.timezone", "unknown time zone"),
]


@pytest.mark.parametrize(("name", "text", "line", "path", "message"), CASES, ids=[c[0] for c in CASES])
def test_each_problem_has_file_line_path_message(tmp_path, name, text, line, path, message):
    lines = problems(tmp_path, text)
    pattern = re.compile(rf"^.*monitor\.yaml:{line}: {re.escape(path)}: .*{re.escape(message)}", re.IGNORECASE)
    assert any(pattern.match(p) for p in lines), lines


def test_all_problems_are_reported_together(tmp_path):
    text = GOOD.replace("kind: feed", "kind: fed") + "colour: blue\n"
    text = text.replace("channels: [mail]", "channels: [sms]")
    lines = problems(tmp_path, text)
    assert len(lines) >= 3, lines


def test_missing_env_var_is_reported_with_its_line(tmp_path):
    lines = problems(tmp_path, GOOD, env={})
    assert any(re.match(r".*monitor\.yaml:4: channels\.mail: environment variable SMTP_PASSWORD is not set", p)
               for p in lines), lines


def test_env_default_is_used(tmp_path):
    cfg = load_config(write(tmp_path, GOOD.replace("${SMTP_PASSWORD}", "${SMTP_PASSWORD:-fallback-pw}")), {})
    assert "fallback-pw" in cfg.channel_urls("mail")[0]


def test_yaml_syntax_error_has_a_line(tmp_path):
    lines = problems(tmp_path, GOOD + "  - id: [unclosed\n")
    assert re.match(r".*monitor\.yaml:\d+: \(file\): not valid YAML", lines[0]), lines


def test_database_url_from_environment_wins(tmp_path):
    cfg = load_config(write(tmp_path, GOOD), {"SMTP_PASSWORD": "x" * 8, "DATABASE_URL": "sqlite:///other.db"})
    assert cfg.database_url == "sqlite:///other.db"


def test_secrets_never_in_problems(tmp_path):
    text = GOOD.replace("channels: [mail]", "channels: [nope]")
    lines = problems(tmp_path, text, env={"SMTP_PASSWORD": "hunter2-secret"})
    assert not any("hunter2-secret" in p for p in lines)


@pytest.mark.parametrize("name", ["monitor.yaml", "example.yaml"])
def test_shipped_configs_validate(name):
    cfg = load_config(ROOT / "config" / name, {})
    assert cfg.sources


def test_example_documents_every_source_kind():
    from monitor.sources import SOURCE_KINDS

    text = (ROOT / "config" / "example.yaml").read_text()
    for kind in SOURCE_KINDS:
        assert f"kind: {kind}" in text, kind
