"""The docs cannot fall behind the code: the config reference is generated and compared, every
source kind and key appears in it, the README's commands exist, and the CLI has every contract command."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from monitor.cli import main
from monitor.config.docs import render
from monitor.sources import SOURCE_KINDS

ROOT = Path(__file__).resolve().parent.parent


def test_config_reference_is_up_to_date():
    assert (ROOT / "docs" / "config.md").read_text() == render(), \
        "docs/config.md is stale: run  python -m monitor.config.docs > docs/config.md"


def test_every_source_kind_and_its_keys_are_documented():
    text = (ROOT / "docs" / "config.md").read_text()
    for kind, cls in SOURCE_KINDS.items():
        assert f"kind: {kind}" in text
        for key in cls.Config.model_fields:
            assert f"`{key}`" in text, (kind, key)


def test_every_kind_is_a_documented_class():
    for kind, cls in SOURCE_KINDS.items():
        assert cls.kind == kind and cls.__doc__ and cls.Config.__doc__, kind
        assert cls.Config.model_fields["kind"].default == kind


def test_contract_commands_exist():
    commands = ["run", "check", "validate", "status", "alerts", "deliver", "classify", "notify-test", "db",
                "catalog", "demo"]
    for name in commands:
        r = CliRunner().invoke(main, [name, "--help"])
        assert r.exit_code == 0, (name, r.output)
    for sub in ("upgrade", "current"):
        assert CliRunner().invoke(main, ["db", sub, "--help"]).exit_code == 0


def test_readme_leads_with_run_and_test():
    head = (ROOT / "README.md").read_text().split("\n\n", 3)[:3]
    text = "\n".join(head)
    assert "make run" in text and "make test" in text
