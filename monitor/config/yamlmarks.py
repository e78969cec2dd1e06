"""Load YAML keeping the line of every node, so errors read ``FILE:LINE: dotted.path: message``."""

from __future__ import annotations

from typing import Any

import yaml

Path = tuple[str | int, ...]
Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when PyYAML was built with it
_STR = "tag:yaml.org,2002:str"


class MarkedYaml:
    """The plain data of a YAML document plus ``lines[path] -> 1-based line`` for every node."""

    def __init__(self, data: Any, lines: dict[Path, int]) -> None:
        self.data = data
        self.lines = lines

    def line_for(self, path: Path) -> int:
        """The line of ``path``, or of its nearest ancestor that has one."""
        p = tuple(path)
        while p:
            if p in self.lines:
                return self.lines[p]
            p = p[:-1]
        return self.lines.get((), 1)


def load_marked(text: str) -> MarkedYaml:
    """Parse ``text``; raises yaml.YAMLError with its own mark on a syntax error."""
    loader = Loader(text)
    try:
        node = loader.get_single_node()
        lines: dict[Path, int] = {}
        if node is None:
            return MarkedYaml(None, {(): 1})
        return MarkedYaml(_build(node, (), lines, loader), lines)
    finally:
        loader.dispose()


def _build(node: yaml.Node, path: Path, lines: dict[Path, int], loader: Any) -> Any:
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = str(loader.construct_object(key_node, deep=True))
            if key in out:
                lines[(*path, key, "__dup__")] = key_node.start_mark.line + 1
            out[key] = _build(value_node, (*path, key), lines, loader)
            lines[(*path, key)] = key_node.start_mark.line + 1  # a key's line, not its value's
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_build(child, (*path, i), lines, loader) for i, child in enumerate(node.value)]
    if node.tag == _STR:  # most scalars of a config: read as they are, without the constructor's dispatch
        return node.value
    return loader.construct_object(node, deep=True)
