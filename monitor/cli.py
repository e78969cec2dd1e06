"""The command line: a thin click group; each command hands off to the service layer.

Only this module chooses exit codes: 0 ok, 1 store unreachable / send failed, 2 config or usage error.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import click

from monitor import __version__, gcpolicy
from monitor.config import Config, default_config_path, load_config
from monitor.errors import ConfigError, MonitorError, StoreError
from monitor.logs import setup_logging
from monitor.redact import Redactor


class Ctx:
    def __init__(self, config_path: str, log_level: str, log_format: str) -> None:
        self.config_path = config_path
        self.log_level = log_level
        self.log_format = log_format
        self.filter = setup_logging(log_level, log_format)

    def config(self) -> Config:
        try:
            config = load_config(self.config_path)
        except ConfigError as e:
            for line in e.problems:
                click.echo(line, err=True)
            raise SystemExit(2) from None
        self.filter.redact.extend(config.secrets)
        return config


@contextmanager
def opened_store(config: Config) -> Iterator[Any]:
    from monitor.app import Store

    try:
        store = Store.open(config)
    except StoreError as e:
        click.echo(f"error: {Redactor(config.secrets)(str(e))}", err=True)
        raise SystemExit(1) from None
    try:
        yield store
    finally:
        store.close()


def _echo_skipped(skipped: dict[str, Any]) -> None:
    from monitor.views import skipped_text

    for source_id, (holder, until) in skipped.items():
        click.echo(skipped_text(source_id, holder, until), err=True)


def run_async(fn: Callable[[], Any]) -> Any:
    gcpolicy.settle()
    return asyncio.run(fn())


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--config", "config_path", default=None, metavar="PATH",
              help="Config file (default: env NHS_MONITOR_CONFIG, else config/monitor.yaml).")
@click.option("--log-level", default="INFO", type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR"],
                                                               case_sensitive=False), help="Log verbosity.")
@click.option("--log-format", default="text", type=click.Choice(["text", "json"]), help="Log line format.")
@click.version_option(__version__, prog_name="nhs-monitor")
@click.pass_context
def main(ctx: click.Context, config_path: str | None, log_level: str, log_format: str) -> None:
    """nhs-service-monitor: watches NHS board papers, feeds and petitions and alerts campaign groups."""
    ctx.obj = Ctx(config_path or default_config_path(), log_level, log_format)


@main.command()
@click.option("--once", is_flag=True, help="Check every source now, deliver what is due, exit.")
@click.pass_obj
def run(obj: Ctx, once: bool) -> None:
    """Run the daemon (or one pass with --once)."""
    config = obj.config()
    if once:
        from monitor.app import Monitor

        async def go() -> Any:
            async with Monitor(config, store) as m:
                return await m.run_once()

        with opened_store(config) as store:
            summary = run_async(go)
        for r in summary.failed:
            click.echo(f"source {r.source_id} failed: {r.error}", err=True)
        _echo_skipped(summary.skipped)
        return
    from monitor.daemon import run_daemon

    sys.exit(run_daemon(config, obj.config_path))


@main.command()
@click.argument("source_ids", nargs=-1, required=True)
@click.option("--dry-run", is_flag=True, help="Print what would be alerted; write nothing, send nothing.")
@click.pass_obj
def check(obj: Ctx, source_ids: tuple[str, ...], dry_run: bool) -> None:
    """Check the named sources now."""
    from monitor.app import Monitor
    from monitor.views import dry_run_text

    config = obj.config()
    known = {s.id for s in config.sources}
    unknown = [s for s in source_ids if s not in known]
    if unknown:
        click.echo(f"unknown source id(s): {', '.join(unknown)}; known: {', '.join(sorted(known)) or 'none'}", err=True)
        sys.exit(2)

    async def go() -> tuple[list[Any], dict[str, Any]]:
        async with Monitor(config, store) as m:
            if dry_run:
                return [await m.dry_run(sid) for sid in source_ids], {}
            reports = await m.check_due(force=True, ids=list(source_ids))
            await m.deliver()
            return reports, m.held_elsewhere(source_ids, reports)

    with opened_store(config) as store:
        reports, skipped = run_async(go)
    for report in reports:
        click.echo(dry_run_text(report))
    _echo_skipped(skipped)


@main.command()
@click.pass_obj
def validate(obj: Ctx) -> None:
    """Load and validate the config."""
    config = obj.config()
    kinds: dict[str, int] = {}
    for s in config.sources:
        kinds[s.kind] = kinds.get(s.kind, 0) + 1
    by_kind = ", ".join(f"{n} {k}" for k, n in sorted(kinds.items())) or "none"
    click.echo(f"OK: {len(config.sources)} sources ({by_kind}), {len(config.subscriptions)} subscriptions, "
               f"{len(config.channels)} channels")
    for line in config.unsupported:
        click.echo(f"unsupported (not watched): {line}")


@main.command()
@click.option("--json", "as_json", is_flag=True, help="JSON output.")
@click.pass_obj
def status(obj: Ctx, as_json: bool) -> None:
    """One row per source: last check, last change, errors, next due."""
    from monitor.views import source_summaries, status_rows, status_table

    config = obj.config()
    with opened_store(config) as store:
        rows = status_rows(config, store.repo.sources(), Redactor(config.secrets),
                           source_summaries(config, store.repo))
    click.echo(json.dumps(rows, indent=2) if as_json else status_table(rows))


def _parse_since(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise click.BadParameter(f"{value!r} is not an ISO 8601 time (e.g. 2026-11-24T08:00:00Z)") from None
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


@main.command()
@click.option("--json", "as_json", is_flag=True, help="JSON output (contract section 4).")
@click.option("--since", default=None, metavar="ISO8601", help="Only alerts created at or after this time.")
@click.option("--limit", default=50, type=click.IntRange(min=1), show_default=True, help="At most this many.")
@click.pass_obj
def alerts(obj: Ctx, as_json: bool, since: str | None, limit: int) -> None:
    """Recent alerts, newest first."""
    from monitor.views import alerts_text

    config = obj.config()
    when = _parse_since(since)
    with opened_store(config) as store:
        records = store.repo.alerts(since=when, limit=limit)
    click.echo(json.dumps(records, indent=2, ensure_ascii=False) if as_json else alerts_text(records))


@main.command()
@click.option("--now", "force", is_flag=True, help="Also send those still waiting out a retry backoff.")
@click.pass_obj
def deliver(obj: Ctx, force: bool) -> None:
    """Send the deliveries that are due."""
    from monitor.app import Monitor

    config = obj.config()

    async def go() -> Any:
        m = Monitor(config, store)
        return await m.deliver(force=force)

    with opened_store(config) as store:
        s = run_async(go)
    click.echo(f"sent {s.sent}, retrying {s.retrying}, failed {s.failed}, digests {s.digests}, notices {s.notices}")


@main.command()
@click.argument("file", default="-", type=click.File("r", encoding="utf-8", errors="replace"))
@click.option("--json", "as_json", is_flag=True, help="JSON output.")
@click.pass_obj
def classify(obj: Ctx, file: Any, as_json: bool) -> None:
    """Run the classifier on plain text (FILE or - for stdin)."""
    from monitor.app import build_classifier
    from monitor.classify import Classifier

    text = file.read()
    try:
        classifier = build_classifier(load_config(obj.config_path))
    except ConfigError:
        classifier = Classifier()
    result = classifier.classify(text).to_json()
    if as_json:
        click.echo(json.dumps(result, indent=2, ensure_ascii=False))
        return
    click.echo("categories: " + (", ".join(result["categories"]) or "none"))
    for ev in result["evidence"]:
        page = f" (page {ev['page']})" if ev.get("page") else ""
        click.echo(f"  {ev['category']}: “{ev['text']}”{page}  [{', '.join(ev['terms'])}]")


@main.command("notify-test")
@click.argument("channel")
@click.pass_obj
def notify_test(obj: Ctx, channel: str) -> None:
    """Send a test message through one channel."""
    from monitor.notify.channels import Channel, Outgoing

    config = obj.config()
    if channel not in config.channels:
        click.echo(f"no channel named {channel!r}; configured: {', '.join(config.channels) or 'none'}", err=True)
        sys.exit(2)
    redact = Redactor(config.secrets)
    ch = Channel(channel, config.channel_urls(channel), redact)
    msg = Outgoing("nhs-service-monitor test message",
                   f"This is a test from nhs-service-monitor to channel {channel}. If you can read it, it works.")
    result = asyncio.run(ch.send([msg], config.delivery.send_timeout))
    where = ", ".join(ch.display()) or channel
    if result.ok:
        click.echo(f"sent: {where}")
        return
    click.echo(f"failed: {where}: {result.error}", err=True)
    sys.exit(1)


@main.group()
def db() -> None:
    """Database migrations."""


@db.command("upgrade")
@click.pass_obj
def db_upgrade(obj: Ctx) -> None:
    """Migrate the store to the newest schema."""
    config = obj.config()
    with opened_store(config) as store:
        from monitor.store.migrate import current

        click.echo(f"database at revision {current(store.engine)}")


@db.command("current")
@click.pass_obj
def db_current(obj: Ctx) -> None:
    """Print the store's schema revision."""
    from monitor.app import Store
    from monitor.store.migrate import current, head

    config = obj.config()
    try:
        store = Store.open(config, migrate=False)
    except StoreError as e:
        click.echo(f"error: {Redactor(config.secrets)(str(e))}", err=True)
        sys.exit(1)
    rev, newest = current(store.engine), head(store.engine)
    click.echo(f"{rev or 'empty (run: nhs-monitor db upgrade)'}" + ("" if rev == newest else f" (newest: {newest})"))


@main.command()
@click.argument("query", required=False)
@click.option("--json", "as_json", is_flag=True, help="JSON output.")
def catalog(query: str | None, as_json: bool) -> None:
    """List the bundled catalogue of NHS bodies (ODS code, name, ICS, board-papers URL)."""
    from monitor.catalog import format_table, search

    bodies = search(query)
    if as_json:
        click.echo(json.dumps([b.to_json() for b in bodies], indent=2))
    else:
        click.echo(format_table(bodies) if bodies else f"no NHS body matches {query!r}")


@main.command()
@click.pass_obj
def healthcheck(obj: Ctx) -> None:
    """Container probe: the status endpoint's /healthz if configured, else the store (exit 0 healthy, 1 not)."""
    from monitor.web.status import probe

    ok, detail = probe(obj.config())
    click.echo(detail, err=not ok)
    sys.exit(0 if ok else 1)


@main.command()
@click.option("--fast", is_flag=True, help="No pauses between steps.")
def demo(fast: bool) -> None:
    """Serve a bundled scenario on 127.0.0.1 and run the monitor against it, step by step."""
    from monitor.demo import run_demo

    sys.exit(run_demo(pause=0.0 if fast else 0.6))


def entry() -> None:
    try:
        main(standalone_mode=True)
    except MonitorError as e:
        click.echo(f"error: {e}", err=True)
        sys.exit(1)
    except Exception as e:
        message = _store_failure(e)
        if message is None:
            raise
        click.echo(f"error: {message}", err=True)  # one line, not SQLAlchemy's traceback
        sys.exit(1)


def _store_failure(e: Exception) -> str | None:
    """The one-line message for a store failure that escaped a command (a SQLite lock held past the busy
    timeout, a store that went away mid-run), or None for anything else."""
    if "sqlalchemy" not in sys.modules:
        return None
    from sqlalchemy.exc import OperationalError

    from monitor.store.db import describe_operational_error

    return describe_operational_error(e) if isinstance(e, OperationalError) else None


if __name__ == "__main__":
    entry()
