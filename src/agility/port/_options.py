"""What a port is asked to do: the typed, strict settings of :func:`agility.port.port`.

:class:`PortSettings` holds the knobs of the search (generators, few-shot strategies, budgets,
minibatch, finalists, early stop, seed, optimiser); it is also the ``port:`` section of a
migration plan. :class:`PortOptions` adds what to port: the dataset, the source prompt and the
target model. A typo is an :class:`~agility.errors.OptionsError` naming the allowed keys.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from agility._options import Options
from agility.chat import GenerationConfig
from agility.systems import SystemSpec

__all__ = ["FewShotSettings", "Generator", "PortOptions", "PortSettings", "PriceSettings"]

Generator = Literal["rules", "few_shot", "optimizer"]
FewShotStrategy = Literal["stratified", "diverse", "nearest"]
FamilyName = Literal["anthropic", "openai", "gemma", "llama", "mistral", "qwen", "phi",
                     "generic"]


class FewShotSettings(Options):
    """Few-shot selection from the dev split.

    Attributes:
        strategies: ``stratified`` (round-robin over strata), ``diverse`` (farthest apart by the
            local embedding model) and ``nearest`` (each question gets the pool pairs nearest
            to it, chosen when the prompt renders).
        k: the numbers of pairs to try, smallest first; the search moves to the next k while
            it keeps gaining.
        pool: dev rows kept apart as the pool pairs are drawn from (never scored, so a
            candidate is never graded on a row whose answer it shows).
    """

    strategies: list[FewShotStrategy] = Field(
        default_factory=lambda: list[FewShotStrategy](["stratified", "diverse", "nearest"]),
        min_length=1)
    k: list[int] = Field(default_factory=lambda: [1, 2, 3], min_length=1)
    pool: int = Field(8, ge=1, le=200)

    @field_validator("k")
    @classmethod
    def _sizes(cls, value: list[int]) -> list[int]:
        if any(k < 1 or k > 16 for k in value):
            raise ValueError("each k must be between 1 and 16")
        return sorted(set(value))


class PriceSettings(Options):
    """USD per million tokens (overrides the price table)."""

    input_per_mtok: float = Field(ge=0)
    output_per_mtok: float = Field(ge=0)


class PortSettings(Options):
    """How to search (the ``port:`` section of a plan).

    Attributes:
        generators: which candidate generators run (default: rules and few-shot, plus the
            optimiser when one is named).
        optimizer: the optimiser model (``provider/model``), any provider.
        optimizer_options: its provider options (``base_url``...; never keys).
        optimizer_price: its price when the table has none.
        optimizer_rounds: rewrite/reflect rounds at most.
        metric: the metric candidates are selected by (default: the first of ``metrics``).
        budget_calls: model calls at most (target and optimiser, holdout scoring included).
        budget_usd: USD at most (the same calls; needs priced models and ``max_tokens``).
        seed: fixes the minibatch, the pool and every draw.
        minibatch: dev rows each candidate is first scored on.
        finalists: candidates scored on the whole dev split (beside the source prompt).
        patience: rounds without gain before the search stops.
        min_gain: the gain over the best so far that counts as a gain.
        few_shot: few-shot selection settings.
        family: the target's family, when the model name does not say it.
        safety_tag: dev rows carrying this tag are safety rows: a candidate that does worse
            than the source prompt on them (by the selection metric) is never chosen; they
            are kept out of the few-shot pool and every candidate answers them beside its
            minibatch (for the safety check only).
        safety_metrics: metrics held as constraints of the choice (meant for those that
            grade an answer's safety, such as the ``safety`` judge, but any metric named here
            is held so, by the user's choice: a plan's safety criteria may name their own):
            a candidate that does worse than the source on any is never chosen. The port's
            ``metrics`` that are safety metrics (the ``safety`` judge or a class derived from
            it) count too.
    """

    generators: list[Generator] | None = None
    optimizer: str | None = None
    optimizer_options: dict[str, Any] = Field(default_factory=dict)
    optimizer_price: PriceSettings | None = None
    optimizer_rounds: int = Field(2, ge=0, le=20)
    metric: str | None = None
    budget_calls: int | None = None
    budget_usd: float | None = None
    seed: int = 0
    minibatch: int = Field(12, ge=2, le=1000)
    finalists: int = Field(2, ge=1, le=20)
    patience: int = Field(1, ge=1, le=20)
    min_gain: float = Field(0.0, ge=0)
    few_shot: FewShotSettings = Field(default_factory=lambda: FewShotSettings.model_validate({}))
    family: FamilyName | None = None
    safety_tag: str = Field("safety", min_length=1)
    safety_metrics: list[str] = Field(default_factory=list)

    @field_validator("optimizer")
    @classmethod
    def _spec(cls, value: str | None) -> str | None:
        if value is not None and "/" not in value:
            raise ValueError(f"'{value}' is not provider/model (e.g. openai/gpt-4o-mini)")
        return value

    @field_validator("budget_calls")
    @classmethod
    def _calls(cls, value: int | None) -> int | None:
        if value is not None and value < 1:
            raise ValueError(f"a budget of {value} calls allows no call: give at least 1 (or "
                             f"no budget)")
        return value

    @field_validator("budget_usd")
    @classmethod
    def _usd(cls, value: float | None) -> float | None:
        if value is not None and not value > 0:
            raise ValueError(f"a budget of {value} USD allows no call: give more than 0 (or "
                             f"no budget)")
        return value

    @model_validator(mode="after")
    def _optimizer_named(self) -> PortSettings:
        if self.generators is not None and "optimizer" in self.generators \
                and self.optimizer is None:
            raise ValueError("the optimizer generator needs an optimizer model "
                             "(optimizer: provider/model)")
        if self.generators is not None and not self.generators:
            raise ValueError("give at least one generator (rules, few_shot, optimizer)")
        return self

    def active_generators(self) -> list[Generator]:
        """The generators that run: as given, or rules and few-shot (+ the optimiser)."""
        if self.generators is not None:
            return list(dict.fromkeys(self.generators))
        chosen: list[Generator] = ["rules", "few_shot"]
        return [*chosen, "optimizer"] if self.optimizer else chosen


class PortOptions(PortSettings):
    """Everything a port needs: what to port and how (see :class:`PortSettings`).

    Attributes:
        dataset: the golden dataset (its dev split is searched, its holdout locked).
        prompt: the source prompt file.
        target: the target model (``provider/model``).
        target_options: its provider options (``base_url``...).
        config: the target's generation settings the candidates start from.
        price: the target's price when the table has none.
        metrics: the metrics the final scoring reports (the first selects, unless ``metric``).
        judge: the judge model of judge metrics.
        judge_options: the judge provider's options (``base_url``...).
        concurrency: target calls in flight.
        timeout_s: limit per call.
        name: the port's name (its runs are ``port/<name>/...``); default from prompt and target.
        output: the ported prompt file to write.
        system: the application whose prompt is ported (a :class:`~agility.systems.SystemSpec`
            calling ``target`` through ``settings.generate`` with its ``settings.template``):
            each candidate prompt is scored by running the system with it (spans and all),
            so the port chooses among the system's own answers; None: plain model calls.
        system_dir: the folder the system's file options resolve in (a plan's folder).
        system_allow_outside: let the system's file options leave ``system_dir``.
    """

    dataset: Path
    prompt: Path
    target: str
    target_options: dict[str, Any] = Field(default_factory=dict)
    config: GenerationConfig = Field(default_factory=GenerationConfig)
    price: PriceSettings | None = None
    metrics: list[str] = Field(default_factory=lambda: ["correctness"], min_length=1)
    judge: str | None = None
    judge_options: dict[str, Any] = Field(default_factory=dict)
    concurrency: int = Field(4, ge=1, le=256)
    timeout_s: float = Field(120.0, gt=0)
    name: str | None = Field(None, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$")
    output: Path | None = None
    system: SystemSpec | None = None
    system_dir: Path | None = None
    system_allow_outside: bool = False

    @field_validator("target")
    @classmethod
    def _target(cls, value: str) -> str:
        if "/" not in value:
            raise ValueError(f"'{value}' is not provider/model (e.g. llamacpp/gemma3-270m)")
        return value

    @property
    def gated_metric(self) -> str:
        """The metric candidates are chosen by."""
        return self.metric or self.metrics[0]

    def port_name(self, prompt_name: str) -> str:
        """The port's name: ``name``, or ``<prompt name>-to-<target model>``."""
        if self.name:
            return self.name
        model = self.target.split("/", 1)[1].replace("/", "-")
        raw = f"{prompt_name}-to-{model}"
        return "".join(c if c.isalnum() or c in "_.-" else "-" for c in raw).strip("-.")
