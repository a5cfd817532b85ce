"""The login throttle keys on the socket peer: the server must not let X-Forwarded-For rewrite it.

Uvicorn trusts X-Forwarded-For from 127.0.0.1 by default (``proxy_headers=True``), which turns
``request.client.host`` into whatever a local client writes, and so bypasses the per-client
throttle. ``atende serve`` must start uvicorn with proxy headers off.
"""

from __future__ import annotations

from typing import Any

import pytest
from typer.testing import CliRunner


def test_serve_does_not_trust_forwarded_headers(monkeypatch: pytest.MonkeyPatch) -> None:
    import uvicorn

    from atende import cli

    captured: dict[str, Any] = {}
    monkeypatch.setenv("ATENDE_SERVE", "1")  # serve sets it; this restores the environment after
    monkeypatch.setattr(cli, "migrate", lambda: None)
    monkeypatch.setattr(uvicorn, "run", lambda *args, **kwargs: captured.update(kwargs))
    result = CliRunner().invoke(cli.app, ["serve", "--port", "8799"])
    assert result.exit_code == 0, result.output
    assert captured.get("proxy_headers") is False
