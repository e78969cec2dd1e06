"""Generates ``docs/config.md`` from the config models, so the reference cannot fall behind the code.

``python -m monitor.config.docs > docs/config.md``; a test fails when the file is stale.
"""

from __future__ import annotations

import types
import typing
from typing import Any

from pydantic import BaseModel
from pydantic.fields import FieldInfo

HEADER = """# Configuration reference

Generated from the models by `python -m monitor.config.docs > docs/config.md`; do not edit by hand.
Every section rejects unknown keys. Durations: `30s`, `15m`, `6h`, `1d`. Sizes: `512KB`, `50MB`.
`${VAR}` and `${VAR:-default}` are filled from the environment. `config/example.yaml` shows them all.
Durations are shown in seconds, sizes in bytes.
"""


def _type_name(annotation: Any) -> str:
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _type_name(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        return " or ".join(_type_name(a) for a in typing.get_args(annotation) if a is not type(None))
    if origin is typing.Literal:
        return " | ".join(repr(a) for a in typing.get_args(annotation))
    if origin in (list, tuple):
        args = typing.get_args(annotation)
        return f"list of {_type_name(args[0])}" if args else "list"
    if origin is dict:
        k, v = typing.get_args(annotation)
        return f"map {_type_name(k)} -> {_type_name(v)}"
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return "section"
    return getattr(annotation, "__name__", str(annotation))


_UNITS = {"parse_duration": "duration", "parse_size": "size", "parse_percent": "percent"}


def _field_type(field: FieldInfo) -> str:
    for meta in field.metadata:
        unit = _UNITS.get(getattr(getattr(meta, "func", None), "__name__", ""))
        if unit:
            return unit
    return _type_name(field.annotation)


def _default(field: FieldInfo) -> str:
    if field.is_required():
        return "required"
    if field.default_factory is not None:
        value = field.default_factory()  # type: ignore[call-arg]
    else:
        value = field.default
    if isinstance(value, BaseModel):
        return "(section defaults)"
    return "" if value is None else f"`{value!r}`" if not isinstance(value, str) else f"`{value}`"


def _table(model: type[BaseModel], skip: tuple[str, ...] = ()) -> list[str]:
    rows = ["| key | type | default | meaning |", "|---|---|---|---|"]
    for name, field in model.model_fields.items():
        if name in skip or field.exclude:
            continue
        desc = (field.description or "").replace("|", "\\|")
        rows.append(f"| `{name}` | {_field_type(field)} | {_default(field)} | {desc} |")
    return rows


def _sections(model: type[BaseModel]) -> list[tuple[str, type[BaseModel]]]:
    out = []
    for name, field in model.model_fields.items():
        for arg in [field.annotation, *typing.get_args(field.annotation)]:
            inner = typing.get_args(arg)
            for cand in (arg, *inner):
                if isinstance(cand, type) and issubclass(cand, BaseModel) and (name, cand) not in out:
                    out.append((name, cand))
    return out


def render() -> str:
    from monitor.config.models import Config
    from monitor.sources import SOURCE_KINDS
    from monitor.sources.base import SourceConfigBase

    lines = [HEADER, "## Top level", "", *_table(Config, skip=("sources",)), ""]
    for name, model in _sections(Config):
        if issubclass(model, SourceConfigBase):
            continue
        lines += [f"## `{name}`", "", (model.__doc__ or "").strip(), "", *_table(model), ""]
    lines += ["## `sources`", "", "Every source takes these keys:", "", *_table(SourceConfigBase, skip=("kind",)), ""]
    base = set(SourceConfigBase.model_fields)
    for kind, cls in sorted(SOURCE_KINDS.items()):
        cfg = cls.Config
        own = tuple(n for n in cfg.model_fields if n in base and n != "kind")
        lines += [f"### `kind: {kind}`", "", (cls.__doc__ or "").strip().splitlines()[0], "",
                  *_table(cfg, skip=own), ""]
        for name, model in _sections(cfg):
            if name not in base:
                lines += [f"#### `{kind}.{name}`", "", *_table(model), ""]
    return "\n".join(line.rstrip() for line in lines).rstrip() + "\n"


if __name__ == "__main__":
    print(render(), end="")
