"""Target families: how each kind of model wants its prompt laid out, and what its markup is.

A *family* decides where the instructions go (a system message, XML-tagged sections, Markdown
headings, the first user turn) and which chat markup the model's own template uses. The markup
table also serves :func:`find_format_echoes`: answers that contain another family's markup
(``[INST]``, ``<</SYS>>``, ``<start_of_turn>``...) mean the serving stack wrapped the prompt in a
format the model was not trained on (for example the llama.cpp server without ``--chat_format``
gives Gemma Llama-2 markup), and the port should prefer the target's own format or a plain
completion layout.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["FAMILIES", "Family", "FormatEcho", "detect_family", "find_format_echoes"]


@dataclass(frozen=True)
class Family:
    """What agility knows about one family of target models.

    Attributes:
        name: ``anthropic``, ``openai``, ``gemma``, ``llama``, ``mistral``, ``qwen``, ``phi`` or
            ``generic``.
        layout: ``xml`` (tagged sections), ``markdown`` (headings), ``chat`` (instructions in
            the first user turn, no system role) or ``plain`` (a completion layout).
        system_role: whether the model's chat template has a system role.
        markup: the chat markup of its own template (stop sequences, echo detection).
        end_of_turn: the markers that end its turn, used as stop sequences.
        notes: a sentence on how the family likes its prompts (the optimiser reads it).
    """

    name: str
    layout: str
    system_role: bool
    markup: tuple[str, ...] = ()
    end_of_turn: tuple[str, ...] = ()
    notes: str = ""
    #: a small base model: prose instructions are echoed; worked examples steer it better
    small: bool = field(default=False, compare=False)


FAMILIES: dict[str, Family] = {
    "anthropic": Family(
        "anthropic", "xml", True, ("\n\nHuman:", "\n\nAssistant:"), (),
        "Claude models follow a system prompt closely and read XML-tagged sections "
        "(<instructions>, <documents>, <question>) well; put long documents before the question."),
    "openai": Family(
        "openai", "markdown", True, ("<|im_start|>", "<|im_end|>"), (),
        "OpenAI models follow a system (developer) message with Markdown sections (# Instructions, "
        "# Output format); be explicit about the answer's format and length."),
    "gemma": Family(
        "gemma", "chat", False, ("<start_of_turn>", "<end_of_turn>"), ("<end_of_turn>",),
        "Gemma has no system role: instructions go at the top of the first user turn. Small "
        "Gemma models echo long prose; short instructions and worked examples work better."),
    "llama": Family(
        "llama", "chat", True,
        ("[INST]", "[/INST]", "<<SYS>>", "<</SYS>>", "<|start_header_id|>", "<|end_header_id|>",
         "<|eot_id|>"), ("<|eot_id|>", "[INST]"),
        "Llama chat models take a short system message; keep the instructions brief and the "
        "output format explicit."),
    "mistral": Family(
        "mistral", "chat", False, ("[INST]", "[/INST]"), ("[INST]",),
        "Mistral instruct models have no separate system role in older templates: put the "
        "instructions at the start of the first user turn."),
    "qwen": Family(
        "qwen", "chat", True, ("<|im_start|>", "<|im_end|>"), ("<|im_end|>",),
        "Qwen models use ChatML with a system role; keep instructions short and explicit."),
    "phi": Family(
        "phi", "chat", True, ("<|system|>", "<|user|>", "<|assistant|>", "<|end|>"), ("<|end|>",),
        "Phi models follow short, explicit instructions; give the output format."),
    "generic": Family(
        "generic", "plain", True, (), (),
        "An unknown model: keep instructions short, state the output format, show an example."),
}

def _markup_owners() -> dict[str, tuple[str, ...]]:
    owners: dict[str, list[str]] = {}
    for name, family in FAMILIES.items():
        for marker in family.markup:
            if marker.strip() and not marker.startswith("\n"):
                owners.setdefault(marker, []).append(name)
    for marker in ("### Instruction:", "### Response:"):
        owners.setdefault(marker, []).append("alpaca")
    return {marker: tuple(names) for marker, names in owners.items()}


#: every known piece of chat markup, with the families whose templates use it
_ALL_MARKUP: dict[str, tuple[str, ...]] = _markup_owners()

_PATTERNS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("anthropic", ("claude", "anthropic.")),
    ("openai", ("gpt-", "gpt4", "chatgpt")),
    ("gemma", ("gemma",)),
    ("mistral", ("mistral", "mixtral")),
    ("qwen", ("qwen",)),
    ("phi", ("phi-", "phi3", "phi4")),
    ("llama", ("llama",)),
)
_SMALL = re.compile(r"(?i)(?<![0-9.])(?:\d{2,3}m|0\.\d+b|1b)\b")


def detect_family(model_spec: str, override: str | None = None) -> Family:
    """The family of ``model_spec`` (``provider/model``), or ``override`` when given.

    ``llamacpp/gemma3-270m`` is Gemma (a small base model); ``bedrock/anthropic.claude-...`` is
    Anthropic; an unknown model is ``generic``.

    Raises:
        KeyError: ``override`` is not a known family (the caller reports it).
    """
    if override is not None:
        return FAMILIES[override]
    spec = model_spec.lower()
    provider, _, model = spec.partition("/")
    name = "anthropic" if provider == "anthropic" else "generic"
    if provider == "openai" and re.match(r"o\d", model):
        name = "openai"  # o1, o3, o4-mini...
    for family, needles in _PATTERNS:
        if name == "generic" and any(n in model for n in needles):
            name = family
    base = FAMILIES[name]
    small = bool(_SMALL.search(model.rsplit("/", 1)[-1])) or spec == "llamacpp/gemma3-270m"
    if small == base.small:
        return base
    return Family(base.name, base.layout, base.system_role, base.markup, base.end_of_turn,
                  base.notes, small=small)


class FormatEcho(BaseModel):
    """Answers that echo chat markup: a sign the prompt reached the model in a foreign format.

    Attributes:
        markers: each marker found and in how many answers.
        families: the families those markers belong to.
        answers: how many answers hold any marker.
        of_answers: how many answers were looked at.
        foreign: whether any marker belongs to a family other than the target's.
        examples: up to three ids of answers with markup.
    """

    model_config = ConfigDict(extra="forbid")

    markers: dict[str, int] = Field(default_factory=dict)
    families: list[str] = Field(default_factory=list)
    answers: int = 0
    of_answers: int = 0
    foreign: bool = False
    examples: list[str] = Field(default_factory=list)

    @property
    def found(self) -> bool:
        """Whether any answer echoed markup."""
        return self.answers > 0


def find_format_echoes(answers: Iterable[tuple[str, str | None]], target: Family) -> FormatEcho:
    """Look for chat markup in ``answers`` (``(example_id, text)``; None texts are skipped).

    Args:
        answers: the answers to look at.
        target: the target's family (its own markup is reported too, but not as foreign).

    Returns:
        What was found (each marker counted once per answer); ``found`` is False when no
        answer holds markup.
    """
    markers: dict[str, int] = {}
    families: set[str] = set()
    hits: list[str] = []
    looked = 0
    for example_id, text in answers:
        if text is None:
            continue
        looked += 1
        seen = [m for m in _ALL_MARKUP if m in text]
        if not seen:
            continue
        hits.append(example_id)
        for marker in seen:
            markers[marker] = markers.get(marker, 0) + 1
            families.update(_ALL_MARKUP[marker])
    # markup is foreign when some of it belongs to no template of the target's family
    foreign = any(target.name not in _ALL_MARKUP[m] for m in markers)
    return FormatEcho(markers=dict(sorted(markers.items())), families=sorted(families),
                      answers=len(hits), of_answers=looked, foreign=foreign, examples=hits[:3])


def stop_markers(target: Family, echo: FormatEcho | None) -> list[str]:
    """Stop sequences that end an answer at chat markup: the target's end-of-turn markers and
    every marker its answers were seen to echo."""
    found: Sequence[str] = list(echo.markers) if echo is not None else []
    return list(dict.fromkeys([*target.end_of_turn, *found]))
