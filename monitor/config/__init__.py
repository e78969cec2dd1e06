"""``load_config(path, environ) -> Config``: the only entry point to the configuration.

Reads the YAML keeping line numbers, expands ``${VAR}``, expands ``catalog`` entries into
sources, validates with pydantic and cross-checks names. Every problem becomes one line
``FILE:LINE: dotted.path: message``; all of them are raised together as ConfigError.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml
from pydantic import ValidationError

from monitor.config.env import MissingVariable, expand
from monitor.config.yamlmarks import MarkedYaml, load_marked
from monitor.errors import ConfigError

if TYPE_CHECKING:
    from monitor.config.models import Config

__all__ = ["Config", "load_config", "default_config_path"]


def __getattr__(name: str) -> Any:
    # The models import the source registry, whose modules import monitor.config.units: importing
    # them lazily keeps ``import monitor.sources`` working before ``import monitor.config``.
    if name == "Config":
        from monitor.config.models import Config

        return Config
    raise AttributeError(name)


def _kinds() -> list[str]:
    from monitor.sources import SOURCE_KINDS

    return sorted(SOURCE_KINDS)


def default_config_path(environ: Mapping[str, str] | None = None) -> str:
    env = os.environ if environ is None else environ
    return env.get("NHS_MONITOR_CONFIG") or "config/monitor.yaml"


class _Problems:
    def __init__(self, filename: str, marked: MarkedYaml | None) -> None:
        self.filename = filename
        self.marked = marked
        self.lines: list[str] = []

    def add(self, path: tuple[str | int, ...], message: str, line: int | None = None) -> None:
        if line is None:
            line = self.marked.line_for(path) if self.marked else 1
        dotted = ".".join(str(p) for p in path) or "(file)"
        self.lines.append(f"{self.filename}:{line}: {dotted}: {message}")


def load_config(path: str | os.PathLike[str], environ: Mapping[str, str] | None = None) -> Config:
    """Load and validate the config file; raise ConfigError listing every problem."""
    env = dict(os.environ if environ is None else environ)
    filename = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as e:
        raise ConfigError([f"{filename}:1: (file): cannot read the config file: {e.strerror or e}"]) from None
    try:
        marked = load_marked(text)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        line = mark.line + 1 if mark else 1
        raise ConfigError([f"{filename}:{line}: (file): not valid YAML: {getattr(e, 'problem', e)}"]) from None
    problems = _Problems(filename, marked)
    if not isinstance(marked.data, dict):
        problems.add((), "the file must be a mapping with at least 'version: 1'")
        raise ConfigError(problems.lines)
    for p, line in marked.lines.items():
        if p and p[-1] == "__dup__":
            problems.add(p[:-1], "this key appears twice", line)
    secrets: set[str] = set()
    data = _expand_env(marked.data, (), env, secrets, problems)
    if env.get("DATABASE_URL"):
        data["database_url"] = env["DATABASE_URL"]
    unsupported = _expand_catalog(data, problems)
    config = _validate(data, problems)
    if problems.lines or config is None:
        raise ConfigError(problems.lines)
    secrets |= _url_passwords(config)
    return config.model_copy(update={"path": filename, "secrets": frozenset(secrets), "unsupported": unsupported})


def _expand_env(node: Any, path: tuple[str | int, ...], env: dict[str, str], secrets: set[str],
                problems: _Problems) -> Any:
    if isinstance(node, dict):
        return {k: _expand_env(v, (*path, k), env, secrets, problems) for k, v in node.items()}
    if isinstance(node, list):
        return [_expand_env(v, (*path, i), env, secrets, problems) for i, v in enumerate(node)]
    if isinstance(node, str) and "${" in node:
        try:
            return expand(node, env, secrets)
        except MissingVariable as e:
            problems.add(path, str(e))
            return node
    return node


def _expand_catalog(data: dict[str, Any], problems: _Problems) -> list[str]:
    entries = data.get("catalog")
    if not entries:
        return []
    from monitor.catalog import CatalogEntry, CatalogLookupError
    from monitor.catalog import expand as expand_catalog

    parsed = []
    for i, raw in enumerate(entries if isinstance(entries, list) else []):
        try:
            parsed.append(CatalogEntry.model_validate(raw))
        except ValidationError as e:
            for err in e.errors():
                problems.add(("catalog", i, *err["loc"]), _message(err))
    try:
        expansion = expand_catalog(parsed)
    except CatalogLookupError as e:
        for index, message in e.problems:
            problems.add(("catalog", index), message)
        return []
    sources = data.setdefault("sources", [])
    if not isinstance(sources, list):
        return []
    explicit = {s.get("id") for s in sources if isinstance(s, dict)}
    sources.extend(s for s in expansion.sources if s["id"] not in explicit)
    return [f"{body.ods} {body.name}: {reason}" for body, reason in expansion.unsupported]


def _validate(data: dict[str, Any], problems: _Problems) -> Config | None:
    from monitor.config.models import Config

    _cross_check(data, problems)
    try:
        return Config.model_validate(data)
    except ValidationError as e:
        for err in e.errors():
            loc = _clean_loc(err["loc"])
            if err.get("type") in ("union_tag_invalid", "union_tag_not_found"):
                loc = (*loc, "kind")
            problems.add(loc, _message(err))
        return None


def _clean_loc(loc: tuple[Any, ...]) -> tuple[str | int, ...]:
    """Drop pydantic's union tags (``sources.0.feed.url`` -> ``sources.0.url``)."""
    out: list[str | int] = []
    for i, part in enumerate(loc):
        if isinstance(part, str) and part in _kinds() and i >= 2 and loc[0] == "sources":
            continue
        if isinstance(part, str) and ("[" in part or part.startswith("function-")):
            continue
        out.append(part)
    return tuple(out)


def _message(err: Any) -> str:
    kind = err.get("type")
    if kind == "extra_forbidden":
        return "unknown key (check its spelling and level)"
    if kind == "missing":
        return "required key is missing"
    if kind == "union_tag_invalid":
        ctx = err.get("ctx", {})
        return f"unknown source kind {ctx.get('tag')!r}; expected one of: {', '.join(_kinds())}"
    if kind == "union_tag_not_found":
        return f"a source needs a 'kind' ({', '.join(_kinds())})"
    msg = str(err.get("msg", "invalid value"))
    return msg.removeprefix("Value error, ")


def _dicts(data: dict[str, Any], key: str) -> list[tuple[int, dict[str, Any]]]:
    value = data.get(key)
    return [(i, v) for i, v in enumerate(value) if isinstance(v, dict)] if isinstance(value, list) else []


def _cross_check(data: dict[str, Any], problems: _Problems) -> None:
    """Checks across sections, on the raw data so they are reported alongside field errors."""
    seen: dict[str, int] = {}
    for i, src in _dicts(data, "sources"):
        sid = src.get("id")
        if isinstance(sid, str) and sid in seen:
            problems.add(("sources", i, "id"), f"duplicate source id {sid!r} (first used by sources.{seen[sid]})")
        if isinstance(sid, str):
            seen.setdefault(sid, i)
    channels = data.get("channels") if isinstance(data.get("channels"), dict) else {}
    names: set[str] = set()
    for i, sub in _dicts(data, "subscriptions"):
        if sub.get("name") in names:
            problems.add(("subscriptions", i, "name"), f"duplicate subscription name {sub.get('name')!r}")
        names.add(str(sub.get("name")))
        _check_refs(sub.get("channels"), ("subscriptions", i, "channels"), channels, problems)
    admin = data.get("admin")
    if isinstance(admin, dict):
        _check_refs(admin.get("channels"), ("admin", "channels"), channels, problems)
    for name, value in channels.items():
        urls = [value] if isinstance(value, str) else value if isinstance(value, list) else []
        for k, url in enumerate(urls):
            if isinstance(url, str) and "://" not in url:
                path: tuple[str | int, ...] = ("channels", name) if isinstance(value, str) else ("channels", name, k)
                problems.add(path, "not an Apprise URL (expected scheme://…, e.g. mailtos://, tgram://, json://)")


def _check_refs(refs: Any, path: tuple[str | int, ...], channels: dict[str, Any], problems: _Problems) -> None:
    for j, ch in enumerate(refs if isinstance(refs, list) else []):
        if isinstance(ch, str) and ch not in channels:
            problems.add((*path, j), f"no channel named {ch!r} under channels:")


def _url_passwords(config: Config) -> set[str]:
    from urllib.parse import urlsplit

    out: set[str] = set()
    urls = [u for name in config.channels for u in config.channel_urls(name)] + [config.database_url]
    for url in urls:
        try:
            parts = urlsplit(url)
        except ValueError:
            continue
        if parts.password and len(parts.password) >= 3:
            out.add(parts.password)
    return out
