"""Telegram delivery through Apprise's own Telegram plugin.

This is the one mocked network edge: no local peer of Telegram's Bot API can exist, so the
plugin's API address (``NotifyTelegram.notify_url``) is pointed at a loopback stand-in that
answers like the Bot API and records each ``sendMessage`` payload.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from apprise.plugins.telegram import NotifyTelegram

from monitor.notify.channels import Channel, Outgoing
from monitor.notify.render import render_for_channel
from monitor.redact import Redactor

TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsawQ"
CHAT = "-1001234567890"


class BotAPI:
    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []
        api = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *a: Any) -> None:
                pass

            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                payload = json.loads(raw or b"{}")
                api.calls.append({"path": self.path, "payload": payload})
                body = json.dumps({"ok": True, "result": {"message_id": len(api.calls), "chat": {"id": CHAT}}})
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body.encode())

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/bot"


@pytest.fixture
def bot_api(monkeypatch):
    api = BotAPI()
    monkeypatch.setattr(NotifyTelegram, "notify_url", api.base)
    yield api
    api.server.shutdown()


def long_alert() -> dict[str, Any]:
    quote = ("The Board agreed that the stroke unit at Westfield General Hospital will move to the County "
             "Hospital <site> & that no formal consultation is required. ")
    return {
        "id": 7, "source": "board", "source_kind": "board_papers", "event": "new_document",
        "categories": ["service_change", "unconsulted"], "title": "Item 7 – Stroke services",
        "url": "https://example.nhs.uk/papers/item7.pdf", "area": "westshire",
        "evidence": [{"category": "service_change", "text": quote * 60, "page": 37, "terms": ["move to"]}],
        "organisations": ["Westfield General Hospital"], "created_at": "2026-11-24T19:00:00Z",
    }


async def test_alert_reaches_the_bot_api_within_telegram_limits(bot_api):
    channel = Channel("tg", [f"tgram://{TOKEN}/{CHAT}"], Redactor([TOKEN]))
    messages = [Outgoing(m.title, m.body, m.body_format) for m in render_for_channel(long_alert(), "tgram")]
    result = await channel.send({"tgram": messages}, timeout=10)
    assert result.ok, result.error
    sends = [c for c in bot_api.calls if c["path"].endswith("/sendMessage")]
    assert len(sends) == len(messages) >= 1  # long evidence is summarised or split, never cut mid-tag
    for call in sends:
        assert call["path"] == f"/bot{TOKEN}/sendMessage"
        p = call["payload"]
        assert str(p["chat_id"]) == CHAT
        assert p["parse_mode"] == "HTML"
        assert len(p["text"]) <= 4096
    text = "".join(c["payload"]["text"] for c in sends)
    assert "Stroke services" in text and "page 37" in text and "&lt;site&gt; &amp;" in text


async def test_telegram_error_is_reported_without_the_token(monkeypatch):
    monkeypatch.setattr(NotifyTelegram, "notify_url", "http://127.0.0.1:9/bot")
    channel = Channel("tg", [f"tgram://{TOKEN}/{CHAT}"], Redactor([TOKEN]))
    result = await channel.send([Outgoing("t", "b")], timeout=3)
    assert not result.ok and result.error
    assert TOKEN not in result.error and TOKEN.split(":")[1] not in result.error
    assert TOKEN not in " ".join(channel.display())
