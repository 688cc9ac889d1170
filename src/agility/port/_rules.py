"""Scaffolding rules per target family: offline, deterministic candidates.

From the source prompt, the target's family and the dev split's gold answers (never the
holdout's), the rules build:

- ``rules-fit``: the source prompt unchanged, with ``max_tokens`` fitted to the gold answers
  and stop sequences (a newline when the golds are one short line; the family's end-of-turn
  markers; any chat markup the source prompt's answers echoed);
- ``rules-<layout>``: the source instructions in the family's layout (XML-tagged sections for
  Claude, Markdown sections for OpenAI models, the first user turn for families without a
  system role, which the llama.cpp server's Gemma format would otherwise drop);
- ``rules-compact``: short instructions (task, answer format and length, refusal when the golds
  have refusals, the source's own constraints kept word for word) in that layout;
- ``rules-plain``: a plain completion layout (instructions, context, ``Question:``,
  ``Answer:``), what base models and mismatched chat formats handle best;
- ``rules-bare`` (small models only): the plain layout with no instructions but the source's
  constraints (a small base model tends to echo prose rather than follow it; few-shot pairs
  then show the answer's form);
- ``rules-text`` (when the target has a completions API, for a small model or answers that
  echoed foreign markup): the plain layout as a ``format: text`` prompt, raw text the model
  continues without any chat template (a small model: the source's constraints only, as plain
  lines before the documents). ``rules-plain`` still goes through the chat template as one
  user message; a base model, or a GGUF without a chat template, was trained on raw text.

For a small model the source's own prose is not laid out again (long prose is what it
echoes): its candidates are ``rules-text``, ``rules-bare``, ``rules-plain`` and ``rules-fit``.

Every candidate states the source's constraints (:mod:`agility.port._constraints`) word for
word: the layouts that keep no other instruction keep those, and a constraint a layout left out
(one the source stated in its user message, which the layouts rebuild) is added where the
candidate's instructions go.

The layouts rebuild the user message from ``{{ context }}`` and ``{{ question }}``, so they apply
when the source prompt uses no other variable; otherwise only ``rules-fit`` is made.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

from agility.chat import GenerationConfig
from agility.port._candidate import Candidate
from agility.port._constraints import (
    Constraint,
    carry_constraints,
    constraint_lines,
    extract_constraints,
)
from agility.port._family import Family, FormatEcho, stop_markers
from agility.prompts import MessageSpec, PromptSpec

__all__ = ["AnswerShape", "answer_shape", "fit_config", "rules_candidates"]

_REBUILDABLE = {"question", "context", "contexts"}
_REFUSAL_HINT = re.compile(r"(?i)\b(?:do(?:es)? not contain|not (?:in|available)|say so|"
                           r"cannot (?:find|answer)|unknown)\b")


@dataclass(frozen=True)
class AnswerShape:
    """What the dev split's gold answers look like.

    Attributes:
        n: how many golds.
        words_p90: the 90th percentile of their length in words.
        chars_max: the longest, in characters.
        single_line: whether every gold is one line.
        numeric_share: the share of golds holding a digit.
        refusals: how many golds decline (say the information is not there).
    """

    n: int
    words_p90: int
    chars_max: int
    single_line: bool
    numeric_share: float
    refusals: int


def answer_shape(golds: Sequence[str]) -> AnswerShape:
    """Describe the gold answers (of the dev split only)."""
    from agility.metrics import is_refusal

    if not golds:
        return AnswerShape(0, 0, 0, True, 0.0, 0)
    words = sorted(len(g.split()) for g in golds)
    p90 = words[min(len(words) - 1, math.ceil(0.9 * len(words)) - 1)]
    return AnswerShape(
        n=len(golds), words_p90=p90, chars_max=max(len(g) for g in golds),
        single_line=all("\n" not in g.strip() for g in golds),
        numeric_share=sum(any(c.isdigit() for c in g) for g in golds) / len(golds),
        refusals=sum(is_refusal(g) for g in golds))


def fit_config(base: GenerationConfig, shape: AnswerShape, family: Family,
               echo: FormatEcho | None) -> tuple[GenerationConfig, str]:
    """``base`` with ``max_tokens`` fitted to the golds and stop sequences added.

    ``max_tokens`` is the longest gold's length at 2.5 characters a token (figures and units
    tokenize short), plus 6 for a short lead-in, never above ``base.max_tokens``. A newline
    stops the answer when every gold is one line of at most 40 words.

    Returns:
        the settings and a sentence saying what changed.
    """
    data = base.model_dump(exclude_unset=True)
    notes = []
    if shape.n:
        fitted = math.ceil(shape.chars_max / 2.5) + 6
        if base.max_tokens is not None:
            fitted = min(fitted, base.max_tokens)
        if fitted != base.max_tokens:
            data["max_tokens"] = fitted
            notes.append(f"max_tokens {base.max_tokens} -> {fitted} (fit to the longest "
                         f"dev gold answer, {shape.chars_max} characters)")
    stops = list(base.stop or [])
    if shape.n and shape.single_line and shape.words_p90 <= 40:
        stops.append("\n")
    stops += stop_markers(family, echo)
    stops = list(dict.fromkeys(stops))[:4]  # OpenAI-compatible servers accept four at most
    if stops != list(base.stop or []):
        data["stop"] = stops
        notes.append(f"stop at {', '.join(repr(s) for s in stops)}")
    return GenerationConfig(**data), "; ".join(notes) or "settings unchanged"


def _instructions(spec: PromptSpec) -> str:
    parts = ([spec.system] if spec.system else []) + [
        m.content for m in spec.messages if m.role == "system"]
    return "\n\n".join(p.strip() for p in parts if p.strip())


def compact_instructions(source: str, shape: AnswerShape, has_context: bool,
                         constraints: Sequence[Constraint] = ()) -> str:
    """Short instructions: task, answer format and length, refusal, and every constraint of
    the source word for word (see :mod:`agility.port._constraints`)."""
    lines = ["Answer the question from the context." if has_context else
             "Answer the question."]
    if shape.n:
        what = "the figure with its unit" if shape.numeric_share >= 0.6 else "the answer"
        lines.append(f"Reply with {what} only, in at most {max(3, shape.words_p90)} words.")
    if shape.refusals or _REFUSAL_HINT.search(source):
        lines.append("If the context does not contain the answer, say so.")
    lines += [c.text for c in constraints]
    return " ".join(lines)


def _layout(family: Family, layout: str, instructions: str, has_context: bool,
            ) -> tuple[str | None, list[MessageSpec]]:
    """System text and messages of ``layout`` for ``family``."""
    context = "{{ context }}"
    question = "{{ question }}"
    if layout == "xml":
        user = (f"<documents>\n{context}\n</documents>\n\n" if has_context else "") + \
            f"<question>{question}</question>"
        return f"<instructions>\n{instructions}\n</instructions>", [
            MessageSpec(role="user", content=user)]
    if layout == "markdown":
        user = (f"# Context\n{context}\n\n" if has_context else "") + f"# Question\n{question}"
        return f"# Instructions\n{instructions}", [MessageSpec(role="user", content=user)]
    if layout == "text":
        # raw text reads on from the documents themselves: a "Context:" heading over numbered
        # passages makes a base model continue with the next "[1] ..." line instead
        head = f"{instructions}\n\n" if instructions else ""
        documents = "{{ contexts | join('\\n\\n') }}\n\n" if has_context else ""
        return None, [MessageSpec(role="user",
                                  content=f"{head}{documents}Question: {question}\nAnswer:")]
    body = (f"Context:\n{context}\n\n" if has_context else "") + f"Question: {question}"
    if layout == "plain":
        head = f"{instructions}\n\n" if instructions else ""
        return None, [MessageSpec(role="user", content=f"{head}{body}\nAnswer:")]
    if family.system_role:
        return instructions, [MessageSpec(role="user", content=body)]
    # no system role: the instructions open the user turn (a server's Gemma format drops
    # system messages altogether)
    return None, [MessageSpec(role="user", content=f"{instructions}\n\n{body}")]


def rules_candidates(source: Candidate, family: Family, shape: AnswerShape,
                     echo: FormatEcho | None, has_context: bool, *,
                     text: bool = False,
                     constraints: Sequence[Constraint] | None = None) -> list[Candidate]:
    """The rules' candidates for porting ``source`` to ``family`` (see the module docstring).

    Args:
        source: the source prompt's candidate (its settings are the target's).
        family: the target's family.
        shape: the dev golds' shape.
        echo: chat markup the source prompt's answers echoed on the target, if looked for.
        has_context: whether the prompt shows documents (``{{ context }}``).
        text: whether the target takes a ``format: text`` prompt (a completions API).
        constraints: the source's constraints (default: found in ``source``'s prompt); every
            candidate states each of them word for word.

    Returns:
        The candidates, most promising first for this family (plain first when the answers
        echoed foreign markup, or for a small model).
    """
    config, fit_note = fit_config(source.config, shape, family, echo)
    spec = source.spec
    if constraints is None:
        constraints = extract_constraints(spec)
    out = [Candidate("rules-fit", "rules", spec.model_copy(update={"name": f"{spec.name}-fit"}),
                     config, parent=source.id, note=f"source prompt; {fit_note}")]
    if not spec.variables() <= _REBUILDABLE:
        return out
    instructions = _instructions(spec)
    compact = compact_instructions(instructions, shape, has_context, constraints)
    kept = constraint_lines(constraints)
    native = family.layout if family.layout != "plain" else "chat"
    layouts: list[tuple[str, str, str, str]] = []
    only_kept = ("the source's constraints only" if constraints else "no instructions")
    if family.small:
        layouts.append(("rules-bare", "plain", kept, f"{only_kept}, plain completion layout"))
    elif instructions:
        layouts.append((f"rules-{native}", native, instructions, "the source instructions"))
    if not family.small:
        layouts.append(("rules-compact", native, compact, "compact instructions"))
    layouts.append(("rules-plain", "plain", compact,
                    "compact instructions, plain completion layout"))
    foreign = echo is not None and echo.found and echo.foreign
    if text and (family.small or foreign):
        layouts.append(("rules-text", "text", kept if family.small else compact,
                        f"{only_kept}, raw text" if family.small
                        else "compact instructions, raw text"))
    made = []
    for label, layout, words, what in layouts:
        system, messages = _layout(family, layout, words, has_context)
        new = spec.model_copy(update={"name": f"{spec.name}-{label.removeprefix('rules-')}",
                                      "system": system, "messages": messages,
                                      "few_shot": [], "few_shot_select": None,
                                      "format": "text" if layout == "text" else "chat"})
        # the source's instructions may sit in its user message, which the layouts rebuild:
        # whatever constraint a layout left out goes back where its instructions go
        new, added = carry_constraints(new, constraints)
        where = {"xml": "XML-tagged sections", "markdown": "Markdown sections",
                 "chat": "the system message" if family.system_role
                 else "the first user turn (no system role)",
                 "plain": "one user message",
                 "text": "a text prompt for the completions API, no chat template"}[layout]
        extra = f"; {added} constraint(s) of the source added" if added else ""
        made.append(Candidate(label, "rules", new, config, parent=source.id,
                              note=f"{what} in {where} ({family.name}){extra}; {fit_note}"))
    if foreign or family.small:
        # raw text, then a plain layout first: what a mismatched chat format or a small
        # model handles best
        made.sort(key=lambda c: (c.label != "rules-text",
                                 c.label not in ("rules-plain", "rules-bare")))
        return made + out
    return out + made
