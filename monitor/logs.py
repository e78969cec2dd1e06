"""Logging set-up: ``text`` or ``json`` lines on stderr, every record scrubbed of secrets."""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime

from monitor.redact import Redactor

_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


class RedactingFilter(logging.Filter):
    """Formats the message once and scrubs it (secrets can arrive through any argument)."""

    def __init__(self, redact: Redactor) -> None:
        super().__init__()
        self.redact = redact

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = self.redact(record.getMessage())
        record.args = None
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = self.redact(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        out = {"time": datetime.fromtimestamp(record.created, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")[:-4] + "Z",
               "level": record.levelname.lower(), "logger": record.name, "message": record.getMessage()}
        out.update({k: v for k, v in vars(record).items() if k not in _STANDARD and not k.startswith("_")})
        if record.exc_text:
            out["exception"] = record.exc_text
        return json.dumps(out, default=str)


def setup_logging(level: str = "INFO", fmt: str = "text", redact: Redactor | None = None) -> RedactingFilter:
    handler = logging.StreamHandler(sys.stderr)
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    else:
        fmt_text = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"
        handler.setFormatter(logging.Formatter(fmt_text, "%Y-%m-%dT%H:%M:%S"))
    flt = RedactingFilter(redact or Redactor())
    handler.addFilter(flt)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for noisy in ("httpx", "httpcore", "apscheduler", "alembic", "apprise", "asyncio"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
    return flt
