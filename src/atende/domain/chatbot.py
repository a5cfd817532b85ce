"""The front-door bot, as data (#18, seed 004): validating a flow and running one step of it.

A flow is a JSON object an admin edits (``chat/flows.py`` keeps its versions)::

    {"start": "menu",
     "default_queue": "Suporte N1",
     "keywords": [{"match": "#prime", "mode": "token",
                   "action": {"route": "Prime - Especialistas", "text": "..."}}],
     "commands": {"menu": {"goto": "menu"}, "atendente": {"route": "Suporte N1"}},
     "plan_routes": [{"plan": "Prime", "queue": "Prime - Especialistas", "text": "..."}],
     "nodes": {
       "menu": {"type": "menu", "text": "Como podemos ajudar?", "invalid": "Não entendi...",
                "max_retries": 2,
                "options": [{"key": "1", "label": "Sou Cliente", "aliases": ["cliente"],
                             "next": "cliente"}]},
       "nome": {"type": "ask", "text": "Qual é o seu nome?", "var": "name", "next": "..."},
       "aviso": {"type": "message", "text": "...", "next": "menu"},
       "cliente": {"type": "route", "text": "Vou te transferir.", "queue": "Suporte N1"},
       "fim": {"type": "intake", "text": "Obrigado!", "queue": "Comercial"}}}

An answer is read in this order: keywords first (a ``token`` keyword anywhere in the message,
``contains`` anywhere in it), then the global commands (the whole message), then the current
step. Text is compared folded (NFKD, no accents, casefolded, trimmed). A ``route`` hands the
chat to a queue; an ``intake`` does too, with the answers collected (a non-client's request).
When a flow routes a customer whose organization's plan has a ``plan_routes`` entry to another
queue, that entry wins and its text is said (a Prime customer who did not type ``#prime``).

Pure: values in, values out; no clock, no database.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

NODE_TYPES = ("menu", "ask", "message", "route", "intake")
WAITS = frozenset({"menu", "ask"})  # steps that wait for the visitor's answer
MAX_NODES = 200
MAX_OPTIONS = 30
MAX_TEXT = 4000
MAX_RETRIES = 10
KEY_PATTERN = re.compile(r"^[a-z0-9_][a-z0-9_-]{0,79}$")
MAX_AUTO_STEPS = MAX_NODES + 1  # message steps followed without input, at most


def fold(text: str) -> str:
    """``text`` as compared: accents removed, casefolded, spaces trimmed and squeezed."""
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(plain.casefold().split())


def _tokens(text: str) -> set[str]:
    return set(re.findall(r"[#\w]+", fold(text)))


@dataclass(frozen=True)
class Problem:
    """What is wrong with a flow, and where (``path``: a JSON pointer into it). ``detail`` is
    the English sentence; ``template`` and ``params`` let a page say it in its reader's
    language (``text``), as the house's errors do (decision 0022)."""

    path: str
    detail: str
    template: str = field(default="", compare=False)
    params: tuple[tuple[str, str], ...] = field(default=(), compare=False)

    def text(self, gettext: Callable[[str], str]) -> str:
        if not self.template:
            return self.detail
        values = dict(self.params)
        try:
            return gettext(self.template).format_map(values)
        except (KeyError, IndexError, ValueError):
            return self.template.format_map(values)


def _problem(path: str, template: str, **params: object) -> Problem:
    values = tuple((k, str(v)) for k, v in params.items())
    return Problem(path, template.format_map(dict(values)), template, values)


@dataclass(frozen=True)
class State:
    """Where a chat is in the flow: the step waiting for an answer (None: not started or
    finished), the invalid answers given to it, the answers collected."""

    node: str | None = None
    retries: int = 0
    vars: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Route:
    queue: str
    intake: bool = False  # a non-client's request: ``vars`` hold what was collected
    reason: str = ""


@dataclass(frozen=True)
class Outcome:
    replies: tuple[str, ...]
    state: State
    route: Route | None = None

    @property
    def finished(self) -> bool:
        return self.route is not None


# --- validation -------------------------------------------------------------------------------


def _targets(action: Any) -> list[str]:
    if isinstance(action, Mapping) and isinstance(action.get("goto"), str):
        return [action["goto"]]
    return []


def edges(flow: Mapping[str, Any]) -> dict[str, list[str]]:
    """Each step's next steps (menu options, ``next``, an exhausted menu's ``then``)."""
    out: dict[str, list[str]] = {}
    nodes = flow.get("nodes") if isinstance(flow.get("nodes"), Mapping) else {}
    for name, node in (nodes or {}).items():
        nexts: list[str] = []
        if isinstance(node, Mapping):
            if isinstance(node.get("next"), str):
                nexts.append(node["next"])
            for option in node.get("options") or []:
                if isinstance(option, Mapping) and isinstance(option.get("next"), str):
                    nexts.append(option["next"])
            nexts.extend(_targets(node.get("then")))
        out[name] = nexts
    return out


def entries(flow: Mapping[str, Any]) -> list[str]:
    """Where a chat may enter the flow: the start, and the steps keywords and commands go to."""
    found = [flow["start"]] if isinstance(flow.get("start"), str) else []
    for keyword in flow.get("keywords") or []:
        if isinstance(keyword, Mapping):
            found.extend(_targets(keyword.get("action")))
    commands = flow.get("commands")
    if isinstance(commands, Mapping):
        for action in commands.values():
            found.extend(_targets(action))
    return found


def reachable(flow: Mapping[str, Any]) -> set[str]:
    graph = edges(flow)
    seen: set[str] = set()
    todo = [e for e in entries(flow) if e in graph]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        todo.extend(n for n in graph.get(name, ()) if n in graph and n not in seen)
    return seen


def _loop_without_input(flow: Mapping[str, Any]) -> list[str] | None:
    """A cycle of ``message`` steps (nothing waits for the visitor): the flow would spin."""
    nodes = flow.get("nodes") or {}
    graph = {
        name: [
            n
            for n in nexts
            if isinstance(nodes.get(n), Mapping) and nodes[n].get("type") == "message"
        ]
        for name, nexts in edges(flow).items()
        if isinstance(nodes.get(name), Mapping) and nodes[name].get("type") == "message"
    }
    colour: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(name: str) -> list[str] | None:
        colour[name] = 1
        path.append(name)
        for nxt in graph.get(name, []):
            if colour.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            if not colour.get(nxt):
                found = visit(nxt)
                if found is not None:
                    return found
        path.pop()
        colour[name] = 2
        return None

    for root in sorted(graph):
        if not colour.get(root):
            found = visit(root)
            if found is not None:
                return found
    return None


def _text(value: Any, path: str, problems: list[Problem], *, required: bool = True) -> None:
    if value is None and not required:
        return
    if not isinstance(value, str) or (required and not value.strip()) or len(value) > MAX_TEXT:
        problems.append(
            _problem(path, "must be a text of 1 to {max_text} characters", max_text=MAX_TEXT)
        )


def _action(action: Any, path: str, nodes: Mapping[str, Any], problems: list[Problem]) -> None:
    if not isinstance(action, Mapping) or not (("goto" in action) ^ ("route" in action)):
        problems.append(_problem(path, 'must be {{"goto": "<step>"}} or {{"route": "<queue>"}}'))
        return
    if "goto" in action and action["goto"] not in nodes:
        problems.append(_problem(path + "/goto", "no step named {step!r}", step=action["goto"]))
    if "route" in action:
        _text(action["route"], path + "/route", problems)
    if "text" in action:
        _text(action["text"], path + "/text", problems)


def validate(flow: Any) -> list[Problem]:
    """Every problem of ``flow`` (empty: it may be published): its shape, steps that do not
    exist, steps no chat can reach, loops of steps that never wait for an answer, menu options
    whose keys, labels or aliases repeat (folded)."""
    problems: list[Problem] = []
    if not isinstance(flow, Mapping):
        return [_problem("", "a flow is a JSON object")]
    nodes = flow.get("nodes")
    if not isinstance(nodes, Mapping) or not nodes:
        return [_problem("/nodes", "a flow needs at least one step")]
    if len(nodes) > MAX_NODES:
        problems.append(_problem("/nodes", "at most {max_nodes} steps", max_nodes=MAX_NODES))
    if flow.get("start") not in nodes:
        problems.append(_problem("/start", "must name one of the steps"))
    _text(flow.get("default_queue"), "/default_queue", problems)
    for i, keyword in enumerate(flow.get("keywords") or []):
        where = f"/keywords/{i}"
        if not isinstance(keyword, Mapping):
            problems.append(_problem(where, "must be an object"))
            continue
        _text(keyword.get("match"), where + "/match", problems)
        if keyword.get("mode", "token") not in ("token", "contains"):
            problems.append(_problem(where + "/mode", 'must be "token" or "contains"'))
        _action(keyword.get("action"), where + "/action", nodes, problems)
    commands = flow.get("commands") or {}
    if not isinstance(commands, Mapping):
        problems.append(_problem("/commands", "must be an object of word: action"))
    else:
        for word, action in commands.items():
            _action(action, f"/commands/{word}", nodes, problems)
    for i, entry in enumerate(flow.get("plan_routes") or []):
        where = f"/plan_routes/{i}"
        if not isinstance(entry, Mapping):
            problems.append(_problem(where, "must be an object"))
            continue
        for key in ("plan", "queue", "text"):
            _text(entry.get(key), f"{where}/{key}", problems)
    for name, node in nodes.items():
        _node(name, node, nodes, problems)
    if not problems:
        unreachable = sorted(set(nodes) - reachable(flow))
        for name in unreachable:
            problems.append(_problem(f"/nodes/{name}", "no chat can reach this step"))
        loop = _loop_without_input(flow)
        if loop is not None:
            problems.append(
                _problem(
                    f"/nodes/{loop[0]}",
                    "these steps loop without waiting for an answer: {steps}",
                    steps=" → ".join(loop),
                )
            )
    return problems


def _node(name: str, node: Any, nodes: Mapping[str, Any], problems: list[Problem]) -> None:
    where = f"/nodes/{name}"
    if not KEY_PATTERN.match(str(name)):
        problems.append(_problem(where, "a step's name is lowercase letters, digits, - and _"))
    if not isinstance(node, Mapping):
        problems.append(_problem(where, "must be an object"))
        return
    kind = node.get("type")
    if kind not in NODE_TYPES:
        problems.append(
            _problem(where + "/type", "must be one of {types}", types=", ".join(NODE_TYPES))
        )
        return
    _text(node.get("text"), where + "/text", problems, required=kind not in ("intake", "route"))
    if kind in ("ask", "message") and node.get("next") not in nodes:
        problems.append(_problem(where + "/next", "must name one of the steps"))
    if kind == "ask" and not (isinstance(node.get("var"), str) and node["var"]):
        problems.append(_problem(where + "/var", "an ask step names the answer it keeps"))
    if kind in ("route", "intake"):
        _text(node.get("queue"), where + "/queue", problems)
    if kind == "menu":
        _menu(where, node, nodes, problems)


def _menu(
    where: str, node: Mapping[str, Any], nodes: Mapping[str, Any], problems: list[Problem]
) -> None:
    options = node.get("options")
    if not isinstance(options, list) or not options or len(options) > MAX_OPTIONS:
        problems.append(
            _problem(
                where + "/options", "a menu has 1 to {max_options} options", max_options=MAX_OPTIONS
            )
        )
        return
    seen: dict[str, str] = {}
    for i, option in enumerate(options):
        at = f"{where}/options/{i}"
        if not isinstance(option, Mapping):
            problems.append(_problem(at, "must be an object"))
            continue
        _text(option.get("label"), at + "/label", problems)
        if option.get("next") not in nodes:
            problems.append(_problem(at + "/next", "must name one of the steps"))
        words = [option.get("key"), option.get("label"), *(option.get("aliases") or [])]
        for word in words:
            if not isinstance(word, str) or not fold(word):
                continue
            folded = fold(word)
            if folded in seen and seen[folded] != at:
                problems.append(
                    _problem(at, "{word} also answers {other}", word=repr(word), other=seen[folded])
                )
            seen.setdefault(folded, at)
    if "then" in node:
        _action(node["then"], where + "/then", nodes, problems)
    retries = node.get("max_retries", 2)
    if not isinstance(retries, int) or not 0 <= retries <= MAX_RETRIES:
        problems.append(
            _problem(
                where + "/max_retries",
                "a whole number from 0 to {max_retries}",
                max_retries=MAX_RETRIES,
            )
        )


# --- running ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Facts:
    """What the bot knows of the visitor: their organization's plan, if any."""

    plan: str | None = None


def start(flow: Mapping[str, Any], facts: Facts = Facts()) -> Outcome:
    """The first messages of a new chat: the start step (and what follows without input)."""
    return _enter(flow, flow["start"], State(), [], facts)


def step(flow: Mapping[str, Any], state: State, text: str, facts: Facts = Facts()) -> Outcome:
    """What the bot answers to ``text`` in ``state``."""
    tokens = _tokens(text)
    folded = fold(text)
    for keyword in flow.get("keywords") or []:
        match = fold(keyword["match"])
        hit = match in tokens if keyword.get("mode", "token") == "token" else match in folded
        if hit:
            return _act(flow, keyword["action"], state, [], facts, keyword=True)
    commands = {fold(k): v for k, v in (flow.get("commands") or {}).items()}
    if folded in commands:
        return _act(flow, commands[folded], state, [], facts)
    nodes = flow["nodes"]
    node = nodes.get(state.node) if state.node is not None else None
    if node is None:
        return start(flow, facts)
    if node["type"] == "ask":
        answers = {**state.vars, node["var"]: text.strip()[:500]}
        return _enter(flow, node["next"], State(None, 0, answers), [], facts)
    for option in node["options"]:
        words = [option.get("key"), option["label"], *(option.get("aliases") or [])]
        if folded in {fold(w) for w in words if isinstance(w, str)}:
            return _enter(flow, option["next"], State(None, 0, state.vars), [], facts)
    retries = state.retries + 1
    if retries > node.get("max_retries", 2):
        then = node.get("then") or {"route": flow["default_queue"]}
        return _act(flow, then, State(None, 0, state.vars), [], facts)
    invalid = node.get("invalid") or "Não entendi. Responda com uma das opções."
    return Outcome((invalid, menu_text(node)), State(state.node, retries, state.vars))


def menu_text(node: Mapping[str, Any]) -> str:
    lines = [node["text"]]
    for option in node.get("options") or []:
        key = option.get("key")
        lines.append(f"{key} - {option['label']}" if key else option["label"])
    return "\n".join(lines)


# --- buttons (WhatsApp reply buttons and lists, Telegram inline keyboards) --------------------


@dataclass(frozen=True)
class Choice:
    """A menu option as a button: ``id`` comes back when it is tapped (at most 64 bytes, as
    Telegram's ``callback_data`` allows), ``key`` and ``label`` as the menu says them."""

    id: str
    key: str
    label: str


def _choice_id(node: str, index: int) -> str:
    return f"bot:{hashlib.sha256(node.encode()).hexdigest()[:10]}:{index}"


def choices(flow: Mapping[str, Any], state: State) -> tuple[Choice, ...]:
    """The options of the menu ``state`` waits on, as buttons (none when it waits on no
    menu)."""
    node = flow.get("nodes", {}).get(state.node) if state.node is not None else None
    if not isinstance(node, Mapping) or node.get("type") != "menu":
        return ()
    return tuple(
        Choice(_choice_id(str(state.node), i), str(option.get("key") or ""), option["label"])
        for i, option in enumerate(node.get("options") or [])
    )


def chosen(flow: Mapping[str, Any], state: State, choice_id: str) -> str | None:
    """What a tapped button answers the menu ``state`` waits on: the option's key (else its
    label); None when the button is not one of this menu's (an old message's)."""
    for choice in choices(flow, state):
        if choice.id == choice_id:
            return choice.key or choice.label
    return None


def _act(
    flow: Mapping[str, Any],
    action: Mapping[str, Any],
    state: State,
    replies: list[str],
    facts: Facts,
    *,
    keyword: bool = False,
) -> Outcome:
    if action.get("text"):
        replies.append(action["text"])
    if "goto" in action:
        return _enter(flow, action["goto"], State(None, 0, state.vars), replies, facts)
    return _route(flow, Route(action["route"]), state, replies, facts, chosen=keyword)


def _route(
    flow: Mapping[str, Any],
    route: Route,
    state: State,
    replies: list[str],
    facts: Facts,
    *,
    chosen: bool = False,
) -> Outcome:
    """Hand the chat to ``route``; a plan with a route of its own goes there instead (unless
    the visitor chose that queue by keyword)."""
    if facts.plan is not None and not chosen:
        for entry in flow.get("plan_routes") or []:
            if fold(entry["plan"]) == fold(facts.plan) and entry["queue"] != route.queue:
                replies.append(entry["text"])
                route = Route(entry["queue"], route.intake, reason=f"plano {entry['plan']}")
                break
    return Outcome(tuple(replies), State(None, 0, state.vars), route)


def _enter(
    flow: Mapping[str, Any], name: str, state: State, replies: list[str], facts: Facts
) -> Outcome:
    nodes = flow["nodes"]
    for _ in range(MAX_AUTO_STEPS):
        node = nodes[name]
        kind = node["type"]
        if kind == "message":
            replies.append(node["text"])
            name = node["next"]
            continue
        if kind == "menu":
            replies.append(menu_text(node))
            return Outcome(tuple(replies), State(name, 0, state.vars))
        if kind == "ask":
            replies.append(node["text"])
            return Outcome(tuple(replies), State(name, 0, state.vars))
        if node.get("text"):
            replies.append(node["text"])
        route = Route(node["queue"], intake=kind == "intake")
        return _route(flow, route, state, replies, facts)
    raise ValueError("the flow loops without waiting for an answer (validate it first)")


def transcript(
    flow: Mapping[str, Any], inputs: Iterable[str], facts: Facts = Facts()
) -> list[dict[str, Any]]:
    """Simulate a chat: the bot's start, then each input and what it answered, until a route."""
    out: list[dict[str, Any]] = []
    outcome = start(flow, facts)
    out.append({"bot": list(outcome.replies), "route": _route_view(outcome.route)})
    for text in inputs:
        if outcome.finished:
            break
        outcome = step(flow, outcome.state, text, facts)
        out.append(
            {"visitor": text, "bot": list(outcome.replies), "route": _route_view(outcome.route)}
        )
    return out


def _route_view(route: Route | None) -> dict[str, Any] | None:
    if route is None:
        return None
    return {"queue": route.queue, "intake": route.intake, "reason": route.reason}
