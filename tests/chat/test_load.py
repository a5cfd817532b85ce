"""The CI's version of the chat load benchmark (bench/chat_load.py): 50 visitors and 5 agents
talk for a few seconds against ``atende serve --workers 2`` on the database under test; every
message arrives on the other side exactly once. No timing is asserted (the machine is shared);
the benchmark prints the latencies."""

from __future__ import annotations

import asyncio
import importlib.util
import sys
from pathlib import Path

import pytest

from tests.servers import running_server

pytestmark = pytest.mark.slow

_spec = importlib.util.spec_from_file_location(
    "chat_load", Path(__file__).resolve().parents[2] / "bench" / "chat_load.py"
)
assert _spec is not None and _spec.loader is not None
chat_load = importlib.util.module_from_spec(_spec)
sys.modules["chat_load"] = chat_load  # its dataclasses look their module up
_spec.loader.exec_module(chat_load)


def test_fifty_visitors_and_five_agents_lose_and_duplicate_nothing(server_url: str) -> None:
    seeded = chat_load.seed(server_url, 5)
    # every visitor comes from 127.0.0.1: the per-address limit on new visitors is lifted
    with running_server(
        server_url, workers=2, ATENDE_CHAT_NEW_VISITORS_PER_ADDRESS="1000000"
    ) as base:
        result = asyncio.run(chat_load.run(base, seeded, visitors=50, seconds=4))
    for way in ("visitor_to_agent", "agent_to_visitor"):
        assert result[way]["messages"] > 0, result
        assert result[way]["lost"] == 0, result
        assert result[way]["duplicated"] == 0, result
