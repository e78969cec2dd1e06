"""``${VAR}`` and ``${VAR:-default}`` expansion, remembering which values came from the environment."""

from __future__ import annotations

import re
from collections.abc import Mapping

_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


class MissingVariable(ValueError):
    """An ``${VAR}`` without a default names a variable that is not set."""


def expand(text: str, environ: Mapping[str, str], secrets: set[str] | None = None) -> str:
    """Replace every ``${VAR}`` / ``${VAR:-default}``; record the substituted values in ``secrets``."""

    def sub(m: re.Match[str]) -> str:
        name, default = m.group(1), m.group(2)
        value = environ.get(name)
        if value is None or (value == "" and default is not None):
            if default is None:
                raise MissingVariable(
                    f"environment variable {name} is not set (write ${{{name}:-default}} for a default)")
            value = default
        if secrets is not None and value and len(value) >= 4:
            secrets.add(value)
        return value

    return _VAR.sub(sub, text)


def has_variables(text: str) -> bool:
    return bool(_VAR.search(text))
