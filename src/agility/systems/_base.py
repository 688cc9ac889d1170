"""The system interface: one example in, one :class:`SystemAnswer` out, with the settings it ran with.

A system is the application under test: a RAG pipeline, a chain of calls, an agent. The plain
model call of :func:`agility.runner.run_model` stays what it is; a system is another way to
produce a result. Each kind (``python``, ``http``, ``langgraph``) is one class behind
:class:`System`, built by :func:`build_system`; third parties add kinds through the
``agility.systems`` entry-point group.
"""

from __future__ import annotations

import abc
import asyncio
import importlib
from collections.abc import Callable, Coroutine, Mapping, Sequence
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from agility.chat import ChatRequest, Completion, GenerationConfig, Message, ToolCall, ToolSpec
from agility.errors import SystemCallError, UnknownName, UsageError
from agility.systems._spec import SystemSpec

if TYPE_CHECKING:
    from agility.client import Client
    from agility.prompts import PromptTemplate
    from agility.retrieval import Retriever

__all__ = ["System", "SystemAnswer", "SystemSettings", "available_systems", "build_system",
           "register_system"]

T = TypeVar("T")


class SystemAnswer(BaseModel):
    """What a system answered for one example.

    ``contexts`` are the documents it used (None: it does not say); ``tool_calls`` the tools
    it called, in order (:class:`~agility.chat.ToolCall` or any form it accepts: ``{name,
    arguments}``, OpenAI's, Anthropic's), stored with the result for the tool-call metrics
    (None: it does not say, and the calls its models asked for through agility's client are
    stored instead); ``metadata`` is accepted and not stored yet.
    """

    model_config = ConfigDict(extra="forbid")

    output: str
    contexts: list[str] | None = None
    tool_calls: list[ToolCall] | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)


@dataclass
class SystemSettings:
    """The candidate's settings a system runs with, and a way to call its model.

    Attributes:
        model: the ``provider/model`` the system should call (None: the system picks).
        config: the candidate's generation settings (``temperature``, ``max_tokens``...).
        template: the candidate's prompt template (None: the recorded prompt).
        options: the system's own options (from the plan or ``--system-options``).
        base_dir: the folder relative paths in ``options`` resolve against (the plan's).
        allow_outside: whether :meth:`path` may leave ``base_dir``.
        client: agility's measured client for ``model`` (None without a model).
        retriever: the run's retrieval step (a plan's ``retriever:``), handed to the system
            to call where it retrieves (None: the system retrieves on its own, or not at all).
    """

    model: str | None = None
    config: GenerationConfig | None = None
    template: PromptTemplate | None = None
    options: dict[str, Any] = field(default_factory=dict)
    base_dir: Path | None = None
    allow_outside: bool = False
    client: Client | None = None
    retriever: Retriever | None = None
    _loop: asyncio.AbstractEventLoop | None = field(default=None, repr=False)

    def messages(self, example: Any, contexts: Sequence[str] | None = None) -> list[Message]:
        """The messages for ``example``: the candidate's template with ``contexts`` (the
        documents the system retrieved), or the recorded prompt when there is no template."""
        if self.template is not None:
            return self.template.render(example, None if contexts is None else list(contexts))
        messages: list[Message] = example.prompt_messages()
        return messages

    async def generate(self, messages: Sequence[Message] | ChatRequest, *,
                       name: str = "generate", config: GenerationConfig | None = None,
                       tools: Sequence[Any] | None = None, tool_choice: str | None = None,
                       example_id: str | None = None) -> Completion:
        """Call the candidate's model through agility's client (retries, rate limits, TTFT,
        tokens, cost) and record the call as a span named ``name``.

        Args:
            messages: the messages (or a whole request).
            name: the span's name (``rewrite``, ``answer``): the comparison groups by it.
            config: settings over the candidate's (which are over nothing).
            tools: the tools the model may call (:class:`~agility.chat.ToolSpec` or any form
                it reads: OpenAI's, Anthropic's); the calls come back in the completion's
                ``tool_calls`` and the span's ``tool_calls`` attribute.
            tool_choice: ``auto``, ``none``, ``required`` or the name of the tool to call.
            example_id: the golden example (the replay provider looks answers up by it).

        Returns:
            The completion.

        Raises:
            UsageError: the candidate names no model, or its provider does not pass tools.
            ProviderError: the call failed after its retries (the example fails with it).
        """
        from agility.trace import span

        if self.client is None:
            raise UsageError("this system's candidate names no model, so settings.generate() "
                             "has nothing to call: give the candidate a model",
                             argument="model")
        if isinstance(messages, ChatRequest):
            request = messages
        else:
            merged = (self.config or GenerationConfig()).merged(config)
            listed = list(messages)
            # the candidate's text prompt (one user message from settings.messages) goes to a
            # completions API as the plain run would send it; other messages are chat
            text = (self.template is not None and self.template.format == "text" and not tools
                    and len(listed) == 1 and listed[0].role == "user")
            request = ChatRequest(messages=listed, config=merged,
                                  tools=[ToolSpec.model_validate(t) if not isinstance(t, ToolSpec)
                                         else t for t in tools or ()],
                                  tool_choice=tool_choice,
                                  prompt_format="text" if text else "chat")
        async with span(name, kind="llm"):
            outcome = await self.client.call(request, example_id=example_id)
        if outcome.error is not None:
            raise outcome.error
        assert outcome.completion is not None
        return outcome.completion

    def generate_sync(self, messages: Sequence[Message] | ChatRequest, **kwargs: Any
                      ) -> Completion:
        """:meth:`generate` for a synchronous system (run in a worker thread by the runner)."""
        return self.run_sync(self.generate(messages, **kwargs))

    def run_sync(self, coro: Coroutine[Any, Any, T]) -> T:
        """Run ``coro`` on the run's event loop from a synchronous system's worker thread."""
        if self._loop is None:
            coro.close()
            raise UsageError("run_sync is for synchronous systems called by the runner")
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result()

    def path(self, value: str | Path) -> Path:
        """A file named in ``options``, resolved against :attr:`base_dir`.

        Raises:
            UsageError: the file lies outside ``base_dir`` (a plan may name files in its own
                folder only, unless the user allowed more).
        """
        base = (self.base_dir or Path.cwd()).resolve()
        resolved = (base / Path(value)).resolve()
        if not self.allow_outside and not resolved.is_relative_to(base):
            raise UsageError(f"{value} is outside {base}: a system's options may name files "
                             f"in the plan's folder only (allow_outside lifts this)",
                             argument="options")
        return resolved


class System(abc.ABC):
    """A system under test: answers one golden example at a time.

    Subclasses set ``kind`` and implement :meth:`answer`; the runner opens the example's trace
    around each call, bounds it by ``spec.timeout_s`` and records a raised exception as the
    example's error.
    """

    kind: ClassVar[str]

    def __init__(self, spec: SystemSpec) -> None:
        self.spec = spec

    @property
    def name(self) -> str:
        """The one-line spec (``python:myapp.rag:answer``)."""
        return self.spec.spec

    @abc.abstractmethod
    async def answer(self, example: Any, settings: SystemSettings) -> SystemAnswer:
        """Answer one example.

        Raises:
            SystemCallError: the system failed (or any exception its code raised).
        """

    def describe(self) -> dict[str, Any]:
        """What to record with the run (never a credential: header values are not kept)."""
        data = self.spec.model_dump(mode="json", exclude_defaults=True)
        http = data.get("http")
        if isinstance(http, dict) and http.get("headers"):
            http["headers"] = sorted(http["headers"])
        return data

    async def aclose(self) -> None:
        """Release what the system holds (connections). Safe to call twice."""


_REGISTRY: dict[str, type[System] | str] = {
    "python": "agility.systems._python:PythonSystem",
    "http": "agility.systems._http:HttpSystem",
    "langgraph": "agility.systems._langgraph:LangGraphSystem",
}
_ENTRY_POINT_GROUP = "agility.systems"


def register_system(kind: str) -> Callable[[type[System]], type[System]]:
    """Class decorator registering a system class under ``kind``."""

    def decorator(cls: type[System]) -> type[System]:
        cls.kind = kind
        _REGISTRY[kind] = cls
        return cls

    return decorator


def available_systems() -> list[str]:
    """The kinds of system that can be built (built-in, registered, entry points)."""
    return sorted({*_REGISTRY, *(ep.name for ep in entry_points(group=_ENTRY_POINT_GROUP))})


def _system_class(kind: str) -> type[System]:
    target = _REGISTRY.get(kind)
    if target is None:
        for ep in entry_points(group=_ENTRY_POINT_GROUP):
            if ep.name == kind:
                target = ep.load()
                break
    if target is None:
        raise UnknownName("system", kind, available_systems())
    if isinstance(target, str):
        module, _, attr = target.partition(":")
        target = getattr(importlib.import_module(module), attr)
        _REGISTRY[kind] = target
    return target


def build_system(spec: SystemSpec | Mapping[str, Any]) -> System:
    """The system a spec describes (nothing is imported or called yet).

    Raises:
        OptionsError: the spec is invalid.
        UnknownName: no system of that kind.
    """
    from agility._options import parse_options

    parsed = spec if isinstance(spec, SystemSpec) else parse_options(SystemSpec, "system", spec)
    return _system_class(parsed.kind)(parsed)


def check_answer(system: str, value: Any) -> SystemAnswer:
    """A system's return value as a :class:`SystemAnswer`.

    Accepted: a string (the answer), a mapping with ``output`` or ``answer`` (and optionally
    ``contexts``, ``tool_calls``, ``metadata``), or a :class:`SystemAnswer`.

    Raises:
        SystemCallError: anything else.
    """
    if isinstance(value, SystemAnswer):
        return value
    if isinstance(value, str):
        return SystemAnswer(output=value)
    if isinstance(value, Mapping):
        data = dict(value)
        if "output" not in data and "answer" in data:
            data["output"] = data.pop("answer")
        try:
            return SystemAnswer.model_validate(data)
        except ValueError as exc:
            raise SystemCallError(system, f"returned a mapping that is not an answer: {exc}. "
                                          f"Return a string or {{output, contexts}}") from None
    shown = "nothing" if value is None else f"a {type(value).__name__}"
    raise SystemCallError(system, f"returned {shown}; return the answer as a string or "
                                  f"{{output, contexts}}")
