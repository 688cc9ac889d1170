"""Prompt templates: Jinja2 (strict undefined, sandboxed) rendering chat messages from an example.

A template is a YAML file::

    name: rag-qa
    version: "1"
    system: "You answer questions about financial filings."      # optional
    few_shot:                                                    # optional
      - {question: "What was revenue in 2022?", answer: "$10.2B"}
    messages:
      - {role: user, content: "Context:\n{{ context }}\n\nQuestion: {{ question }}"}

or a plain ``.j2``/``.txt`` file, which becomes one user message. Variables: ``question``,
``contexts`` (list), ``context`` (numbered and joined), ``example`` (the golden example without
its answer), ``few_shot`` and ``metadata``. Few-shot pairs are inserted as user/assistant turns
after the system messages unless a message uses ``few_shot`` itself.

Three optional keys make a file self-contained for the model it was written (or ported) for
(and ``format``, below):

- ``few_shot_select: {strategy: nearest, k: 2}``: ``few_shot`` is a pool, and each example gets
  the ``k`` pairs whose ``key`` (default: their ``question``) is nearest to its question by the
  local embedding model (:mod:`agility.prompts._select`); a pair whose key is the question
  itself is never shown, so a row never sees its own answer;
- ``config``: the generation settings the prompt was written for (``max_tokens``, ``stop``...):
  settings given with a run override them, and they override a row's own;
- ``lineage``: where the prompt came from (``agility port`` records its parent's hash, the
  dataset, the target, the optimiser and the seed); kept for the record, never rendered.

``format: text`` makes the prompt raw text for the model to continue instead of chat messages
(a completions API, without the model's chat template: what a base model, or a GGUF that
carries no chat template, was trained on). Its ``messages`` are one user message; the system
text opens the prompt, and each few-shot pair follows as its ``question`` then its ``answer``
(``Question: ...\nAnswer:`` then `` $1.2 billion``), each block separated by a blank line.
Providers with a completions API take it (``openai/``: ``/v1/completions``; ``llamacpp/``);
others refuse it before any call.

The answer (``ground_truth``, ``source_output``) is never visible to a template: referring to it
is an error, so a prompt cannot leak what it is graded against.

A template may come from a pull request: it renders in a sandbox with bounded work, size and
time (:mod:`agility.prompts._sandbox`), and whatever goes wrong while rendering (an undefined
variable, ``'{0}'.format_map({})``, ``range(10**9)``, a 300 MB message) is one ``ConfigError``
naming the file, the message and the template line.
"""

from __future__ import annotations

import hashlib
import types
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

from jinja2 import StrictUndefined, TemplateError, TemplateSyntaxError, UndefinedError
from pydantic import BaseModel, ConfigDict, Field

from agility.chat import GenerationConfig, Message
from agility.errors import ConfigError
from agility.prompts._sandbox import RenderLimitExceeded, bounded_environment, render_bounded

__all__ = ["HIDDEN_FIELDS", "FewShotSelect", "PromptFormat", "PromptTemplate", "TemplateFile",
           "prompt_format"]

#: how a prompt goes to the model: chat messages, or one raw text a completions API continues
PromptFormat = Literal["chat", "text"]

#: example fields a template may never see: they hold the answer being graded
HIDDEN_FIELDS = frozenset({"ground_truth", "source_output", "expected_output", "answer",
                           "reference", "reference_answer"})

_ENV = bounded_environment(undefined=StrictUndefined, autoescape=False,
                           keep_trailing_newline=True)
#: the longest template source compiled (a template file is also bounded by its size)
MAX_SOURCE_CHARS = 1_000_000


class _FewShot(BaseModel):
    model_config = ConfigDict(extra="forbid")

    question: str
    answer: str
    #: the text nearest-neighbour selection compares with each question (default: question)
    key: str | None = None


class FewShotSelect(BaseModel):
    """How each example picks its few-shot pairs from the template's pool."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    strategy: Literal["nearest"] = "nearest"
    k: int = Field(2, ge=1, le=16)


class _MessageSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: Literal["system", "user", "assistant"]
    content: str


class TemplateFile(BaseModel):
    """The schema of a YAML prompt file."""

    model_config = ConfigDict(extra="forbid")

    name: str
    version: str = "1"
    system: str | None = None
    few_shot: list[_FewShot] = Field(default_factory=list)
    few_shot_select: FewShotSelect | None = None
    messages: list[_MessageSpec] = Field(min_length=1)
    config: GenerationConfig | None = None
    lineage: dict[str, Any] | None = None
    format: PromptFormat = "chat"


class PromptTemplate:
    """A compiled prompt template.

    Args:
        name: the template's name.
        messages: ``(role, jinja source)`` pairs.
        version: the author's version string.
        system: an optional system message (Jinja source) put first.
        few_shot: ``{question, answer}`` pairs (and an optional ``key``).
        path: the file it came from (named in errors).
        few_shot_select: pick each example's pairs from ``few_shot`` (a pool) instead of
            showing them all.
        config: the generation settings the prompt was written for (a run's own override them).
        lineage: where the prompt came from; recorded, never rendered, not in :attr:`hash`.
        format: ``chat`` (messages) or ``text`` (one raw prompt for a completions API; see
            the module docstring).

    Raises:
        ConfigError: a message is not valid Jinja2 (names the file, message and line), or a
            ``text`` prompt has other messages than one user message.
    """

    def __init__(self, name: str, messages: Sequence[tuple[str, str]], *, version: str = "1",
                 system: str | None = None, few_shot: Sequence[dict[str, str]] = (),
                 path: str | Path | None = None, few_shot_select: FewShotSelect | None = None,
                 config: GenerationConfig | None = None,
                 lineage: dict[str, Any] | None = None, format: PromptFormat = "chat") -> None:
        self.name, self.version, self.path = name, version, Path(path) if path else None
        if format not in ("chat", "text"):
            raise ConfigError(f"{self.where}: format: '{format}' is not one of chat, text.")
        if format == "text" and [role for role, _ in messages] != ["user"]:
            raise ConfigError(f"{self.where}: messages: a format: text prompt is one user "
                              f"message (the raw text the model continues); the system text "
                              f"and few-shot pairs are put before it.")
        self.format: PromptFormat = format
        self.few_shot_select, self.config = few_shot_select, config
        self.lineage = dict(lineage or {})
        specs = ([("system", system)] if system is not None else []) + list(messages)
        for role, _ in specs:
            if role not in ("system", "user", "assistant"):
                raise ConfigError(f"{self.where}: role '{role}' is not one of system, user, "
                                  f"assistant.")
        self._sources = specs
        self.few_shot = [{k: v for k, v in dict(f).items() if v is not None} for f in few_shot]
        if few_shot_select is not None and not self.few_shot:
            raise ConfigError(f"{self.where}: few_shot_select: the pool (few_shot) is empty.")
        self._selector: Any = None
        offset = 1 if system is not None else 0
        self._labels = [("system" if offset and i == 0 else f"messages[{i - offset}].content")
                        for i in range(len(specs))]
        self._compiled = [(role, self._compile(self._labels[i], src))
                          for i, (role, src) in enumerate(specs)]
        self._inline_few_shot = bool(self.few_shot) and not any("few_shot" in s for _, s in specs)

    @property
    def where(self) -> str:
        """How errors name this template: its file, or its name."""
        return str(self.path) if self.path else f"template '{self.name}'"

    @property
    def hash(self) -> str:
        """sha256 of what the template renders from (sources and few-shot), recorded with runs."""
        parts: tuple[Any, ...] = (self.name, self.version, self._sources, self.few_shot)
        # added later: only part of the hash when set, so older templates keep theirs
        if self.few_shot_select is not None:
            parts += (("few_shot_select", self.few_shot_select.model_dump()),)
        if self.config is not None:
            parts += (("config", self.config.model_dump(mode="json", exclude_unset=True)),)
        if self.format != "chat":
            parts += (("format", self.format),)
        return hashlib.sha256(repr(parts).encode()).hexdigest()

    def _compile(self, label: str, source: str) -> Any:
        if len(source) > MAX_SOURCE_CHARS:
            raise ConfigError(f"{self.where}: {label}: the template is longer than "
                              f"{MAX_SOURCE_CHARS:,} characters.")
        try:
            return _ENV.from_string(source)
        except TemplateSyntaxError as exc:
            raise ConfigError(f"{self.where}: {label}: line {exc.lineno}: "
                              f"{exc.message}. Fix the Jinja2 syntax.") from exc
        except (RecursionError, MemoryError, ValueError, TypeError,
                RenderLimitExceeded) as exc:
            raise ConfigError(f"{self.where}: {label}: cannot compile the template "
                              f"({_describe(exc)}).") from None

    def render(self, example: Any, contexts: Sequence[str] | None = None) -> list[Message]:
        """Render the messages for one golden example.

        Args:
            example: a GoldenExample (anything with ``question``, ``contexts``, ``metadata``).
            contexts: retrieved documents; when None the example's own ``contexts`` are used.

        Returns:
            the chat messages.

        Raises:
            ConfigError: the template uses an undefined variable (names the file, the message
                and the variable) or fails while rendering.
        """
        shots = self._shots_for(example)
        variables = _variables(example, contexts, shots)
        if self.format == "text":
            return [Message(role="user", content=self._render_text(shots, variables))]
        out: list[Message] = []
        for index, (role, compiled) in enumerate(self._compiled):
            if self._inline_few_shot and role != "system" and not any(
                    m.role != "system" for m in out):
                for shot in shots:
                    out.append(Message(role="user", content=shot["question"]))
                    out.append(Message(role="assistant", content=shot["answer"]))
            text = self._render_one(index, compiled, variables)
            out.append(Message.model_validate({"role": role, "content": text}))
        return out

    def _render_text(self, shots: list[dict[str, str]], variables: dict[str, Any]) -> str:
        """The raw prompt: the system text, the few-shot pairs (question, then answer after a
        space), then the user message, each a block of its own."""
        blocks: list[str] = []
        for index, (role, compiled) in enumerate(self._compiled):
            if role == "user" and self._inline_few_shot:
                blocks += [f"{s['question'].rstrip()} {s['answer'].strip()}" for s in shots]
            blocks.append(self._render_one(index, compiled, variables).strip("\n"))
        return "\n\n".join(b for b in blocks if b)

    def _shots_for(self, example: Any) -> list[dict[str, str]]:
        """The few-shot pairs shown with ``example``: all of them, or its nearest ``k``."""
        if self.few_shot_select is None:
            return self.few_shot
        if self._selector is None:
            from agility.prompts._select import NearestShots

            self._selector = NearestShots(self.few_shot)
        question = str(_example_view(example).get("question") or "")
        shots: list[dict[str, str]] = self._selector.nearest(question, self.few_shot_select.k)
        return shots

    def _render_one(self, index: int, compiled: Any, variables: dict[str, Any]) -> str:
        try:
            return render_bounded(compiled, variables)
        except UndefinedError as exc:
            hint = ""
            if any(f in str(exc.message) for f in HIDDEN_FIELDS):
                hint = (" The answer fields (ground_truth, source_output) are hidden from "
                        "templates so a prompt cannot leak what it is graded against.")
            raise ConfigError(
                f"{self.where}: {self._labels[index]}: undefined variable: {exc.message}. "
                f"Available: question, contexts, context, example, few_shot, metadata.{hint}"
            ) from exc
        except TemplateError as exc:
            raise ConfigError(f"{self.where}: {self._labels[index]}:{_line(exc)} {exc}") from exc
        except RenderLimitExceeded as exc:
            raise ConfigError(f"{self.where}: {self._labels[index]}:{_line(exc)} the template "
                              f"went past a rendering limit: {exc}. Templates are bounded so "
                              f"that one from an untrusted change cannot exhaust the "
                              f"machine.") from None
        except Exception as exc:  # noqa: BLE001
            # the template's own code failed: '{0}'.format_map({}), range(10**9), 1/0, ...
            raise ConfigError(f"{self.where}: {self._labels[index]}:{_line(exc)} the template "
                              f"failed while rendering ({_describe(exc)}).") from None


def prompt_format(template: PromptTemplate | None, example: Any) -> PromptFormat:
    """How ``template`` sends its prompt (``chat`` without a template).

    Raises:
        ConfigError: a ``text`` prompt for a row that offers the model tools (a completions
            API has no tools).
    """
    if template is None:
        return "chat"
    if template.format == "text" and example.tools():
        raise ConfigError(f"{template.where}: format: text cannot offer the model the tools of "
                          f"row {example.id} (a completions API takes no tools); use a chat "
                          f"prompt for rows with tools")
    return template.format


def _describe(exc: BaseException) -> str:
    text = str(exc).splitlines()[0][:200] if str(exc) else ""
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _line(exc: BaseException) -> str:
    """`` line N:`` of the template line the exception came from, or ``""``."""
    line = None
    tb: types.TracebackType | None = exc.__traceback__
    while tb is not None:
        # Jinja rewrites tracebacks so that frames of template code carry template lines
        if tb.tb_frame.f_code.co_filename == "<template>":
            line = tb.tb_lineno
        tb = tb.tb_next
    return f" line {line}:" if line is not None else ""


def _example_view(example: Any) -> dict[str, Any]:
    dump = getattr(example, "model_dump", None)
    data = dump() if callable(dump) else dict(vars(example))
    # computed views (properties) are not in model_dump
    for name in ("question", "contexts", "history"):
        if name not in data and hasattr(example, name):
            data[name] = getattr(example, name)
    return {k: v for k, v in data.items() if k not in HIDDEN_FIELDS}


def _variables(example: Any, contexts: Sequence[str] | None,
               few_shot: list[dict[str, str]]) -> dict[str, Any]:
    view = _example_view(example)
    docs = list(contexts) if contexts is not None else list(view.get("contexts") or [])
    return {
        "question": view.get("question"),
        "contexts": docs,
        "context": "\n\n".join(f"[{i}] {doc}" for i, doc in enumerate(docs, 1)),
        "example": view,
        "few_shot": few_shot,
        "metadata": view.get("metadata") or {},
    }
