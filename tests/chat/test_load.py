"""The CI's version of the chat load benchmark (bench/chat_load.py): 50 visitors and 5 agents
talk for a few seconds against ``atende serve --workers 2`` on the database under test; every
message arrives on the other side exactly once, also when a server process is killed in the
middle (and ``serve`` starts another). No timing is asserted (the machine is shared); the
benchmark prints the latencies."""

from __future__ import annotations

import asyncio
import importlib.util
import sys
from pathlib import Path

import pytest

from tests.servers import running_server

pytestmark = pytest.mark.slow

_BENCH = Path(__file__).resolve().parents[2] / "bench"
sys.path.insert(0, str(_BENCH))  # the benchmark imports its HTTP client, bench/chat_wire.py
_spec = importlib.util.spec_from_file_location("chat_load", _BENCH / "chat_load.py")
assert _spec is not None and _spec.loader is not None
chat_load = importlib.util.module_from_spec(_spec)
sys.modules["chat_load"] = chat_load  # its dataclasses look their module up
_spec.loader.exec_module(chat_load)


def _nothing_lost_or_duplicated(result: dict[str, object]) -> None:
    for way in ("visitor_to_agent", "agent_to_visitor"):
        tally = result[way]
        assert isinstance(tally, dict)
        assert tally["messages"] > 0, result
        assert tally["lost"] == 0, result
        assert tally["duplicated"] == 0, result
        assert tally["posts_failed"] == 0, result
    assert result["stored_twice"] == 0, result


def test_fifty_visitors_and_five_agents_lose_and_duplicate_nothing(server_url: str) -> None:
    seeded = chat_load.seed(server_url, 5)
    # every visitor comes from 127.0.0.1: the per-address limit on new visitors is lifted
    with running_server(
        server_url, workers=2, ATENDE_CHAT_NEW_VISITORS_PER_ADDRESS="1000000"
    ) as base:
        result = asyncio.run(chat_load.run(base, seeded, visitors=50, seconds=4))
    _nothing_lost_or_duplicated(result)


def test_a_worker_killed_mid_talk_is_replaced_and_no_message_is_lost_or_duplicated(
    server_url: str,
) -> None:
    seeded = chat_load.seed(server_url, 5)
    with chat_load.serve(server_url, workers=2) as served:
        result = asyncio.run(
            chat_load.run(
                served.base, seeded, visitors=50, seconds=8, served=served, kill_at=3, window=20
            )
        )
        workers = served.workers()
    restart = result["restart"]
    # serve's supervisor started a new worker in place of the killed one, and it served
    assert len(workers) == 2 and restart["killed_pid"] not in workers, result
    assert restart["new_pid"] in workers and "serving_after_s" in restart, result
    # the streams it held broke and came back with Last-Event-ID; POSTs cut off were retried
    assert restart["killed_held_connections"] > 0 and result["stream_breaks"] > 0, result
    _nothing_lost_or_duplicated(result)
    for way in ("visitor_to_agent", "agent_to_visitor"):
        assert result[way]["around_restart"]["messages"] > 0, result
