"""The front-door bot's flows (domain/chatbot.py): validation against plain references
(reachability by breadth-first search, loops of message steps by walking), and the order in
which an answer is read (keywords, then commands, then the step)."""

from __future__ import annotations

from collections import deque
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from atende.demo.chat import FRONT_DOOR, PRIME_QUEUE, PRIME_TEXT
from atende.domain import chatbot

NAMES = [f"s{i}" for i in range(8)]


@st.composite
def flows(draw: Any) -> dict[str, Any]:
    """A flow of up to 8 steps of random kinds and random next steps (all names exist)."""
    names = NAMES[: draw(st.integers(1, 8))]
    nodes: dict[str, Any] = {}
    for name in names:
        kind = draw(st.sampled_from(["menu", "ask", "message", "route"]))
        if kind == "route":
            nodes[name] = {"type": "route", "queue": "Q", "text": "ok"}
        elif kind in ("ask", "message"):
            nodes[name] = {
                "type": kind,
                "text": "t",
                "var": "v",
                "next": draw(st.sampled_from(names)),
            }
        else:
            nexts = draw(st.lists(st.sampled_from(names), min_size=1, max_size=3))
            nodes[name] = {
                "type": "menu",
                "text": "m",
                "options": [
                    {"key": str(i), "label": f"o{i}", "next": n} for i, n in enumerate(nexts)
                ],
            }
    return {"start": draw(st.sampled_from(names)), "default_queue": "Q", "nodes": nodes}


def reference_reachable(flow: dict[str, Any]) -> set[str]:
    seen = {flow["start"]}
    todo = deque([flow["start"]])
    while todo:
        node = flow["nodes"][todo.popleft()]
        nexts = [node["next"]] if "next" in node else [o["next"] for o in node.get("options", [])]
        for n in nexts:
            if n not in seen:
                seen.add(n)
                todo.append(n)
    return seen


def reference_spins(flow: dict[str, Any]) -> bool:
    """Whether some message step, following message steps only, comes back to itself."""
    nodes = flow["nodes"]
    for name, node in nodes.items():
        if node["type"] != "message":
            continue
        at = node["next"]
        for _ in range(len(nodes)):
            if nodes[at]["type"] != "message":
                break
            if at == name:
                return True
            at = nodes[at]["next"]
    return False


@settings(max_examples=300, deadline=None)
@given(flows())
def test_validation_finds_exactly_the_unreachable_steps_and_the_spinning_loops(
    flow: dict[str, Any],
) -> None:
    problems = chatbot.validate(flow)
    unreachable = {p.path.split("/")[-1] for p in problems if "no chat can reach" in p.detail}
    assert unreachable == set(flow["nodes"]) - reference_reachable(flow)
    if not unreachable:
        spins = any("loop without waiting" in p.detail for p in problems)
        assert spins == reference_spins(flow)
    if not problems:  # a valid flow never spins and answers anything
        outcome = chatbot.start(flow)
        for text in ("0", "1", "qualquer coisa", ""):
            if outcome.finished:
                break
            outcome = chatbot.step(flow, outcome.state, text)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=40), st.text(max_size=40))
def test_a_keyword_anywhere_wins_at_any_step(before: str, after: str) -> None:
    menu = chatbot.start(FRONT_DOOR)
    outcome = chatbot.step(FRONT_DOOR, menu.state, f"{before} #prime {after}")
    assert outcome.route is not None and outcome.route.queue == PRIME_QUEUE


def test_commands_then_the_step_and_retries_hand_over_to_the_default_queue() -> None:
    menu = chatbot.start(FRONT_DOOR)
    assert "1 - Sou Cliente" in menu.replies[0]
    again = chatbot.step(FRONT_DOOR, menu.state, "MENU ")
    assert again.state.node == "menu" and not again.finished
    assert chatbot.step(FRONT_DOOR, menu.state, "Atendente").route == chatbot.Route("Suporte N1")
    assert chatbot.step(FRONT_DOOR, menu.state, "não sou cliente").state.node == "nc_telefone"
    state = menu.state
    for _ in range(2):
        wrong = chatbot.step(FRONT_DOOR, state, "banana")
        assert wrong.replies[0].startswith("Não entendi") and not wrong.finished
        state = wrong.state
    assert chatbot.step(FRONT_DOOR, state, "banana").route == chatbot.Route("Suporte N1")


def test_a_prime_customer_who_did_not_type_prime_is_told_and_routed_to_prime() -> None:
    prime = chatbot.Facts(plan="prime")
    menu = chatbot.start(FRONT_DOOR, prime)
    routed = chatbot.step(FRONT_DOOR, menu.state, "1", prime)
    assert routed.route is not None and routed.route.queue == PRIME_QUEUE
    assert routed.replies[-1] == PRIME_TEXT
    chosen = chatbot.step(FRONT_DOOR, menu.state, "#prime", prime)
    assert PRIME_TEXT not in chosen.replies  # who typed #prime is not told off


def test_a_non_client_is_asked_and_the_answers_travel_with_the_route() -> None:
    lines = chatbot.transcript(FRONT_DOOR, ["2", "11 99999-0000", "Varejo", "Uma demonstração"])
    assert lines[-1]["route"] == {"queue": "Clientes", "intake": True, "reason": ""}
    outcome = chatbot.start(FRONT_DOOR)
    for text in ("2", "11 99999-0000", "Varejo", "Uma demonstração"):
        outcome = chatbot.step(FRONT_DOOR, outcome.state, text)
    assert dict(outcome.state.vars) == {
        "phone": "11 99999-0000",
        "segment": "Varejo",
        "request": "Uma demonstração",
    }


def test_repeated_options_unknown_steps_and_bad_shapes_are_named() -> None:
    flow = {
        "start": "menu",
        "default_queue": "Q",
        "nodes": {
            "menu": {
                "type": "menu",
                "text": "m",
                "options": [
                    {"key": "1", "label": "Cliente", "next": "fim"},
                    {"key": "2", "label": "cliente", "next": "nada"},
                ],
            },
            "fim": {"type": "route", "queue": "Q"},
            "x": {"type": "voar"},
        },
    }
    problems = {(p.path, p.detail) for p in chatbot.validate(flow)}
    assert ("/nodes/menu/options/1", "'cliente' also answers /nodes/menu/options/0") in problems
    assert ("/nodes/menu/options/1/next", "must name one of the steps") in problems
    assert any(path == "/nodes/x/type" for path, _ in problems)
    assert chatbot.validate([]) == [chatbot.Problem("", "a flow is a JSON object")]
    assert chatbot.validate(FRONT_DOOR) == []
