"""``langgraph:package.module:graph``: a LangGraph graph, run once per example (extra
``langgraph``).

The attribute is a compiled graph (``StateGraph(...).compile()``) or a ``StateGraph``, which is
compiled once. Each example runs it with:

- the input ``{"messages": [...]}``: the candidate's prompt for the example (its template with
  the example, or the recorded prompt) as ``{role, content}`` messages, which a
  ``MessagesState`` graph reads as LangChain messages;
- ``config["configurable"]``: ``agility_settings`` (the candidate's
  :class:`~agility.systems.SystemSettings`; :func:`graph_settings` fetches it in a node) and
  ``agility_example`` (the golden example), and a fresh ``thread_id`` per example (for a graph
  compiled with a checkpointer);
- ``recursion_limit`` = the spec's ``max_steps``: a graph that loops fails the example with
  that reason instead of running forever.

The answer is the final state's ``answer`` (a string) or else the content of its last
message; ``contexts`` (a list of strings) are the documents it used. The tool calls are those
of the assistant messages the graph added (a LangChain ``AIMessage``'s ``tool_calls``), or,
when it added none, those its model calls made through agility's client.

Every node run is a span named for the node (``tool`` when it answered with tool messages,
as LangGraph's ``ToolNode`` does, else ``other``); the spans opened inside a node's run (the
model calls of ``settings.generate``) are recorded as its children.
"""

from __future__ import annotations

import importlib.util
import time
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from agility.chat import Completion, Message, ToolCall
from agility.errors import MissingExtraError, SystemCallError
from agility.store import SpanRecord
from agility.systems._base import System, SystemAnswer, SystemSettings
from agility.systems._python import load_target
from agility.trace import active_trace
from agility.trace._span import Trace, error_text

__all__ = ["LangGraphSystem", "assistant_message", "chat_messages", "graph_settings"]


def graph_settings(config: Mapping[str, Any]) -> SystemSettings:
    """The candidate's settings inside a node of a ``langgraph:`` system
    (``async def node(state, config): settings = graph_settings(config)``).

    Raises:
        LookupError: the graph is not being run by agility.
    """
    settings = (config.get("configurable") or {}).get("agility_settings")
    if not isinstance(settings, SystemSettings):
        raise LookupError("no agility settings in this config: the graph is not run by an "
                          "agility langgraph: system")
    return settings


def chat_messages(messages: Sequence[Any]) -> list[Message]:
    """A graph's messages (LangChain messages or ``{role, content}`` mappings) as agility
    messages, to send with ``settings.generate``: an assistant's tool calls and each tool's
    result (``tool_call_id``) are kept.

    Raises:
        ValueError: a message of a kind a chat model is not sent (or without a role).
    """
    out = []
    for message in messages:
        role = _role(message)
        if role not in ("system", "user", "assistant", "tool"):
            raise ValueError(f"cannot send a {role or 'role-less'} message to a chat model")
        if isinstance(message, Mapping):
            raw_calls, call_id = message.get("tool_calls"), message.get("tool_call_id")
        else:
            raw_calls = getattr(message, "tool_calls", None)
            call_id = getattr(message, "tool_call_id", None)
        calls = [ToolCall.model_validate(c) for c in raw_calls or ()] if role == "assistant" \
            else []
        out.append(Message.model_validate({
            "role": role, "content": _content(message), "tool_calls": calls,
            "tool_call_id": str(call_id) if role == "tool" and call_id else None}))
    return out


def assistant_message(completion: Completion) -> dict[str, Any]:
    """A completion as the assistant message a graph's state takes (LangChain reads the
    mapping, its tool calls included, as an ``AIMessage``)."""
    data: dict[str, Any] = {"role": "assistant", "content": completion.text}
    if completion.tool_calls:
        data["tool_calls"] = [{"name": c.name, "args": c.arguments,
                               "id": c.id or f"call_{uuid.uuid4().hex[:12]}"}
                              for c in completion.tool_calls]
    return data


class LangGraphSystem(System):
    """A LangGraph graph (see the module docstring)."""

    kind = "langgraph"

    def __init__(self, spec: Any) -> None:
        super().__init__(spec)
        if importlib.util.find_spec("langgraph") is None:
            raise MissingExtraError("langgraph", "langgraph", "A langgraph: system")
        self._graph: Any = None

    def _load(self) -> Any:
        if self._graph is None:
            graph = load_target(self.name, self.spec.langgraph or "")
            if not hasattr(graph, "astream") and hasattr(graph, "compile"):
                graph = graph.compile()  # a StateGraph: compiled once, run per example
            if not hasattr(graph, "astream"):
                raise SystemCallError(self.name, f"{self.spec.langgraph} is not a LangGraph "
                                                 f"graph (compiled or a StateGraph)")
            self._graph = graph
        return self._graph

    async def answer(self, example: Any, settings: SystemSettings) -> SystemAnswer:
        """Run the graph on ``example`` (see the module docstring)."""
        from langgraph.errors import GraphRecursionError

        graph = self._load()
        messages = [m.model_dump() for m in settings.messages(example)]
        config = {"recursion_limit": self.spec.max_steps, "configurable": {
            "agility_settings": settings, "agility_example": example,
            "thread_id": f"agility-{example.id}-{uuid.uuid4().hex[:8]}"}}
        nodes = _NodeSpans(active_trace())
        state: Any = None
        try:
            async for mode, event in graph.astream({"messages": messages}, config,
                                                   stream_mode=["tasks", "values"]):
                if mode == "tasks":
                    nodes.event(event)
                else:
                    state = event
        except GraphRecursionError as exc:
            raise SystemCallError(self.name, f"the graph did not finish within max_steps="
                                             f"{self.spec.max_steps} steps (does it loop?)"
                                  ) from exc
        finally:
            nodes.close()
        return _answer_of(self.name, state, len(messages))


class _NodeSpans:
    """The span of each node run, from LangGraph's task events (start, then result)."""

    def __init__(self, trace: Trace | None) -> None:
        self.trace = trace
        self.open: dict[str, tuple[str, float, int]] = {}  # task id: name, start, span id
        self.done: list[SpanRecord] = []

    def event(self, event: Mapping[str, Any]) -> None:
        if self.trace is None:
            return
        now = time.perf_counter()
        task = str(event.get("id"))
        if "result" not in event and "error" not in event:  # a task starts
            self.open[task] = (str(event.get("name")), now, self.trace.new_id())
            return
        started = self.open.pop(task, None)
        if started is None:
            return
        name, start, span_id = started
        error = event.get("error")
        if error is not None:
            error = error_text(error) if isinstance(error, BaseException) else str(error)
        self._add(name, start, now, span_id, error, _adds_tool_messages(event.get("result")))

    def _add(self, name: str, start: float, end: float, span_id: int, error: str | None,
             tool: bool) -> None:
        assert self.trace is not None
        record = SpanRecord(name=name, kind="tool" if tool else "other",
                            start_ms=self.trace.offset_ms(start),
                            duration_ms=(end - start) * 1000.0, error=error,
                            attributes={"node": True}, id=span_id)
        self.trace.add(record)
        self.done.append(record)

    def close(self) -> None:
        """End the nodes still running (the graph failed or was cancelled), then give each
        top-level span that ran inside a node that node as its parent."""
        if self.trace is None:
            return
        now = time.perf_counter()
        for name, start, span_id in self.open.values():
            self._add(name, start, now, span_id, "the graph stopped before this step ended",
                      False)
        self.open.clear()
        for record in self.trace.spans:
            if record.parent_id is not None or record.attributes.get("node"):
                continue
            holders = [n for n in self.done if _inside(record, n)]
            if holders:  # the innermost (latest started) node that holds it
                record.parent_id = max(holders, key=lambda n: n.start_ms).id


def _inside(record: SpanRecord, node: SpanRecord) -> bool:
    end = record.start_ms + (record.duration_ms or 0.0)
    node_end = node.start_ms + (node.duration_ms or 0.0)
    return node.start_ms <= record.start_ms and end <= node_end + 1.0  # 1 ms: event delivery


def _adds_tool_messages(result: Any) -> bool:
    if not isinstance(result, Mapping):
        return False
    added = result.get("messages")
    added = added if isinstance(added, Sequence) and not isinstance(added, str) else [added]
    return any(_role(m) == "tool" for m in added if m is not None)


def _role(message: Any) -> str | None:
    if isinstance(message, Mapping):
        return str(message.get("role") or message.get("type") or "") or None
    kind = getattr(message, "type", None)  # LangChain: human, ai, tool, system
    return {"human": "user", "ai": "assistant"}.get(kind, kind) if kind else None


def _content(message: Any) -> str:
    content = message.get("content") if isinstance(message, Mapping) \
        else getattr(message, "content", "")
    if isinstance(content, list):  # content blocks: keep the text ones
        return "".join(part.get("text", "") if isinstance(part, Mapping) else str(part)
                       for part in content)
    return "" if content is None else str(content)


def _answer_of(system: str, state: Any, given: int) -> SystemAnswer:
    """The answer in a graph's final state (see the module docstring)."""
    if not isinstance(state, Mapping):
        raise SystemCallError(system, "the graph ended without a state")
    messages = list(state.get("messages") or [])
    answer = state.get("answer")
    if isinstance(answer, str):
        output = answer
    elif len(messages) > given and _role(messages[-1]) == "assistant":
        output = _content(messages[-1])
    else:
        raise SystemCallError(system, "the graph's final state has no answer: set 'answer' "
                                      "or end on an assistant message")
    calls: list[ToolCall] = []
    for message in messages[given:]:
        raw = message.get("tool_calls") if isinstance(message, Mapping) \
            else getattr(message, "tool_calls", None)
        for call in raw or ():
            try:
                calls.append(ToolCall.model_validate(call))
            except ValueError as exc:
                raise SystemCallError(system, f"the graph holds a tool call agility cannot "
                                              f"read: {exc}") from exc
    contexts = state.get("contexts")
    if not (isinstance(contexts, list) and all(isinstance(c, str) for c in contexts)):
        contexts = None
    return SystemAnswer(output=output, contexts=contexts, tool_calls=calls or None)
