"""A candidate prompt: a prompt spec, the settings it runs with, where it came from, its scores."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Literal

from agility.chat import GenerationConfig
from agility.prompts import PromptSpec, PromptTemplate

__all__ = ["Candidate", "CandidateScore"]

GeneratorName = Literal["source", "rules", "few_shot", "optimizer"]


@dataclass
class CandidateScore:
    """A candidate's figures over one set of examples.

    ``mean`` counts a failed call as 0 (as the gate does) and leaves out answers the metric
    could not score; None when nothing was scored. ``cost_per_call_usd`` and the latencies are
    None when not measured.
    """

    n: int = 0
    n_failed: int = 0
    n_unscored: int = 0
    mean: float | None = None
    cost_per_call_usd: float | None = None
    latency_p50_ms: float | None = None
    ttft_p50_ms: float | None = None
    input_tokens_mean: float | None = None


@dataclass
class Candidate:
    """One prompt the search scores.

    Attributes:
        label: what made it (``source``, ``rules-plain``, ``fewshot-nearest-k2``...).
        generator: the generator that made it.
        spec: the prompt.
        config: the generation settings its runs use (the target's, adjusted by the rules).
        parent: the id of the candidate it was derived from.
        note: what the generator changed, in a sentence.
    """

    label: str
    generator: GeneratorName
    spec: PromptSpec
    config: GenerationConfig
    parent: str | None = None
    note: str = ""
    minibatch: CandidateScore | None = None
    dev: CandidateScore | None = None
    holdout: CandidateScore | None = None
    #: None while it can still be scored; else why it was not (budget, a bad reply...)
    skipped: str | None = None
    #: how its few-shot pairs were chosen: (strategy, k, pool row ids), or None
    shots: tuple[str, int, tuple[str, ...]] | None = None
    #: whether its prompt states each of the source's constraints (None: not checked yet)
    carries: tuple[bool, ...] | None = None
    #: its safety checks' figures at first look (the minibatch and the dev safety rows) and
    #: on the dev rows scored
    safety_minibatch: dict[str, CandidateScore] = field(default_factory=dict)
    safety_dev: dict[str, CandidateScore] = field(default_factory=dict)
    #: None while it may be chosen; else why it may not (a constraint dropped, safety
    #: worse than the source's)
    disqualified: str | None = None
    _template: PromptTemplate | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        # a derived prompt carries the settings it was scored with, so the file written for
        # it runs exactly as it did here (the source prompt stays as its file is)
        if self.generator != "source" and self.spec.config != self.config:
            self.spec = self.spec.model_copy(update={"config": self.config})

    @property
    def template(self) -> PromptTemplate:
        """The compiled template (built once)."""
        if self._template is None:
            self._template = self.spec.template()
        return self._template

    @property
    def id(self) -> str:
        """``<label>-<hash>``: the same prompt and settings always get the same id (and run)."""
        payload = json.dumps([self.template.hash,
                              self.config.model_dump(mode="json", exclude_unset=True)],
                             sort_keys=True)
        return f"{self.label}-{hashlib.sha256(payload.encode()).hexdigest()[:10]}"

    @property
    def fingerprint(self) -> str:
        """The hash of prompt and settings alone (two labels for one prompt share it)."""
        return self.id.rsplit("-", 1)[1]
