"""The migration plan file: what to compare, with what, and where the outputs go.

A plan is YAML, validated strictly (unknown keys are errors) with messages that name the file,
the line and the field (``plan.yaml:14: target.config.max_tokens: ...``). Relative paths in a
plan resolve against the plan file's folder, so a plan and its files move together.
See :data:`agility.migrate.STARTER_PLAN` for a commented example.

A plan may come from a pull request, so every path it names (dataset, prompts, recorded
outputs, ``replay/`` models, retriever corpus, criteria, output folder) must stay inside the
plan's folder once resolved (``..`` and symbolic links followed): ``prompt: ../../etc/passwd``
would otherwise be read and sent to a model, and ``output:`` could write anywhere. Whoever runs
the plan can lift this with ``allow_outside=True`` (``--allow-outside-plan-dir``), outside the
file.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    field_validator,
    model_validator,
)

from agility._options import parse_options
from agility._yaml_config import (
    child_node,
    line_of,
    load_yaml,
    read_config_text,
    validate_yaml,
)
from agility.canary._spec import RolloutSpec
from agility.chat import GenerationConfig
from agility.compare import CostItems, Criteria, load_criteria
from agility.errors import ConfigError, OptionsError, UnknownName, UsageError
from agility.governance._policy import (
    PrivacyPolicy,
    ResidencyPolicy,
    RetentionPolicy,
    SignoffPolicy,
)
from agility.port import PortSettings
from agility.providers import RoutingPolicy, parse_model_spec, provider_class, routing_problems
from agility.review import ReviewPolicy
from agility.systems import SystemSpec, spec_mapping, system_problems

__all__ = [
    "CandidateSpec",
    "DatasetSpec",
    "Plan",
    "PortSpec",
    "PriceSpec",
    "RetrieverSpec",
    "ReviewSpec",
    "load_plan",
    "parse_plan",
]

_NAME = r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$"
Split = Literal["dev", "holdout"]
_ALL_SPLITS: tuple[Split, ...] = ("dev", "holdout")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", protected_namespaces=())


class PriceSpec(_Strict):
    """USD per million tokens; overrides the built-in price table for this candidate.

    ``cached_input_per_mtok``/``cache_write_per_mtok`` price input read from and written to
    the prompt cache (without them, cache reads cost the input price and a call that wrote to
    the cache is not priced).
    """

    input_per_mtok: float = Field(ge=0)
    output_per_mtok: float = Field(ge=0)
    cached_input_per_mtok: float | None = Field(None, ge=0)
    cache_write_per_mtok: float | None = Field(None, ge=0)


class CandidateSpec(_Strict):
    """One side of the migration: a model (or its recorded answers), prompt, settings, price.

    With ``system`` the side is the application under test (a ``python:`` function, an
    ``http:`` service; see :mod:`agility.systems`) and ``model`` is the model it calls
    through ``settings.generate`` (None: it picks its own); the plan's retriever is handed to
    it (``settings.retriever``) for its own code to call, and ``prompt`` is its template
    (``settings.template``), the one a ``port:`` ports.
    """

    name: str = Field(pattern=_NAME)
    model: str | None = None
    system: SystemSpec | None = None
    recorded_outputs: Path | None = None
    prompt: Path | None = None
    config: GenerationConfig = Field(default_factory=GenerationConfig)
    provider_options: dict[str, Any] = Field(default_factory=dict)
    price: PriceSpec | None = None
    concurrency: int = Field(4, ge=1, le=256)
    timeout_s: float = Field(120.0, gt=0)

    @field_validator("model")
    @classmethod
    def _model_spec(cls, value: str | None) -> str | None:
        if value is not None and "/" not in value:
            raise ValueError(f"'{value}' is not provider/model (e.g. openai/gpt-4o-mini, "
                             f"llamacpp/gemma3-270m)")
        return value

    @field_validator("provider_options")
    @classmethod
    def _no_secrets(cls, value: dict[str, Any]) -> dict[str, Any]:
        # a credential's *value* never sits in a file; the name of the variable holding it
        # (api_key_env) is a routing option, allowed only from outside the file
        secret = [k for k in value if k != "api_key_env"
                  and re.search(r"(?i)api[_-]?key|secret|token|password", k)]
        if secret:
            raise ValueError(f"{', '.join(secret)} looks like a credential: credentials are read "
                             f"from the environment, never from a plan file")
        return value

    @field_validator("system", mode="before")
    @classmethod
    def _one_line_system(cls, value: Any) -> Any:
        return spec_mapping(value)  # `system: python:myapp.rag:answer` reads as its mapping

    @model_validator(mode="after")
    def _one_source(self) -> CandidateSpec:
        if self.system is not None:
            if self.recorded_outputs is not None:
                raise ValueError("a system answers for itself: give 'system' or "
                                 "'recorded_outputs', not both")
            if self.model is None and self.provider_options:
                raise ValueError("provider_options go with a model: give the model the "
                                 "system calls")
            return self
        if (self.model is None) == (self.recorded_outputs is None):
            raise ValueError("give exactly one of 'model' (call it) or 'recorded_outputs' "
                             "(replay answers recorded earlier)")
        return self

    @model_validator(mode="after")
    def _typed_provider_options(self) -> CandidateSpec:
        # the provider's own option model, so a typo in the plan is caught at load time
        if self.model_spec is None:
            return self  # a system that picks its own model
        provider = parse_model_spec(self.model_spec)[0]
        try:
            parse_options(provider_class(provider).Options, f"provider {provider}",
                          self.provider_options)
        except (OptionsError, UnknownName) as exc:
            raise ValueError(str(exc)) from None
        return self

    @property
    def model_spec(self) -> str | None:
        """The provider/model the runner calls (``replay/PATH`` for recorded outputs; None: a
        system that picks its own model)."""
        if self.model is not None:
            return self.model
        return None if self.recorded_outputs is None else f"replay/{self.recorded_outputs}"


class DatasetSpec(_Strict):
    """The golden dataset and which of its splits the migration runs."""

    path: Path
    freeze: bool = True
    splits: list[Split] = Field(default_factory=lambda: list(_ALL_SPLITS), min_length=1)
    #: ``each``: conversation rows run turn by turn, every assistant turn a result scored and
    #: reported of its own (tags ``turn:N``, ``turn:last``); ``last``: on their last turn
    turns: Literal["last", "each"] = "last"
    #: with ``turns: each``, the earlier turns' answers a turn is sent with: the
    #: ``transcript``'s, or each candidate's ``own`` answers in this run
    history: Literal["transcript", "own"] = "transcript"

    @model_validator(mode="after")
    def _history_with_turns(self) -> DatasetSpec:
        if self.history == "own" and self.turns != "each":
            raise ValueError("history: own replays conversations turn by turn: it goes with "
                             "turns: each")
        return self


class RetrieverSpec(_Strict):
    """The local embedding retriever run before each prompt (RAG)."""

    corpus: Path
    top_k: int = Field(3, ge=1, le=50)
    cost_per_query_usd: float | None = Field(None, ge=0)
    include_example_context: bool = True


class ReviewSpec(ReviewPolicy):
    """The SME review queue ``migrate`` draws after scoring (the playbook's sample).

    ``queue`` names it (default: ``<plan name>.<target name>``, so a new target gets a new
    queue); the other fields are the sampling policy
    of :class:`agility.review.ReviewPolicy`.
    """

    queue: str | None = Field(default=None, pattern=_NAME)


class PortSpec(PortSettings):
    """The plan's ``port:`` section: port the source prompt to the target model first (see
    :class:`agility.port.PortSettings` for the search's settings).

    Attributes:
        name: the port's name (its runs are ``port/<name>/...``; default: the plan's name).
        output: the ported prompt file (default: ``<output>/ported.yaml``).
    """

    name: str | None = Field(None, pattern=_NAME)
    output: Path | None = None

    @model_validator(mode="after")
    def _typed_optimizer_options(self) -> PortSpec:
        if self.optimizer is not None:
            provider = parse_model_spec(self.optimizer)[0]
            try:
                parse_options(provider_class(provider).Options, f"provider {provider}",
                              self.optimizer_options)
            except (OptionsError, UnknownName) as exc:
                raise ValueError(str(exc)) from None
        elif self.optimizer_options:
            raise ValueError("optimizer_options without an optimizer model")
        return self


class Plan(_Strict):
    """A migration plan (see the module docstring). Paths are absolute once loaded.

    With a ``port:`` section, ``migrate`` ports the source prompt to the target model first and
    the target runs with the ported prompt (the target then names no prompt of its own).
    """

    name: str = Field(pattern=_NAME)
    description: str | None = None
    dataset: DatasetSpec
    retriever: RetrieverSpec | None = None
    source: CandidateSpec
    target: CandidateSpec
    metrics: list[str | dict[str, Any]] = Field(
        default_factory=lambda: list[str | dict[str, Any]](["correctness"]), min_length=1)
    judge: str | None = None
    judge_options: dict[str, Any] = Field(default_factory=dict)
    criteria: Path | Criteria = Field(default_factory=Criteria)
    output: Path = Path("agility-report")
    traffic_per_month: int | None = Field(None, ge=1)
    migration_cost_usd: float | None = Field(None, ge=0)
    #: what else each side costs: per query, per month, per hour of a self-hosted endpoint,
    #: one-off (see :mod:`agility.compare._cost_items` and docs/cost.md)
    costs: CostItems = Field(default_factory=CostItems)
    seed: int = 0
    #: interleaved: both candidates' calls start in turn (A B B A) so load drift hits both
    schedule: Literal["interleaved", "sequential"] = "interleaved"
    #: draw an SME review queue after scoring (None: no queue)
    review: ReviewSpec | None = None
    port: PortSpec | None = None
    #: the canary rollout (``agility canary serve``); None: the playbook's defaults
    rollout: RolloutSpec | None = None
    # governance (see agility.governance): each only makes the migration stricter
    privacy: PrivacyPolicy | None = None
    residency: ResidencyPolicy | None = None
    retention: RetentionPolicy | None = None
    signoff: SignoffPolicy | None = None

    #: the store runs of the sides when they are not ``<plan>/<candidate>`` (set after a port:
    #: the target runs in the chosen candidate's run); never read from a file
    _run_names: dict[str, str] = PrivateAttr(default_factory=dict)
    #: the plan file and its content hash (set by :func:`load_plan`)
    path: Path | None = Field(None, exclude=True)
    plan_hash: str | None = Field(None, exclude=True)

    @model_validator(mode="after")
    def _distinct(self) -> Plan:
        if self.source.name == self.target.name:
            raise ValueError(f"source.name and target.name are both '{self.source.name}'; "
                             f"give the candidates different names")
        return self

    @model_validator(mode="after")
    def _turns_fit(self) -> Plan:
        if self.dataset.turns == "last":
            return self
        if self.port is not None:
            raise ValueError("dataset.turns: each does not go with port: (the port scores "
                             "prompts on each row's last turn); port first, then compare turn "
                             "by turn with the ported prompt")
        for side in ("source", "target"):
            if getattr(self, side).recorded_outputs is not None:
                raise ValueError(f"dataset.turns: each needs an answer per turn: "
                                 f"{side}.recorded_outputs holds one per row")
        return self

    @model_validator(mode="after")
    def _port_fits(self) -> Plan:
        if self.port is None:
            return self
        if self.source.prompt is None:
            raise ValueError("port: needs source.prompt, the prompt to port")
        if self.target.prompt is not None:
            raise ValueError("port: writes the target's prompt, so target.prompt must be "
                             "absent (remove one of them)")
        if self.target.model is None:
            raise ValueError("port: needs target.model, the model to port to (not recorded "
                             "outputs)")
        return self

    def run_name(self, side: Literal["source", "target"]) -> str:
        """The store run name of one side: ``<plan name>/<candidate name>`` (or the run a port
        gave it, see :func:`agility.migrate._port_step.port_step`)."""
        return self._run_names.get(side) or f"{self.name}/{getattr(self, side).name}"

    def with_runs(self, **runs: str) -> Plan:
        """A copy whose sides run in the given store runs (``source=..., target=...``)."""
        copy = self.model_copy()
        copy._run_names = {**self._run_names, **runs}
        return copy

    def criteria_object(self) -> Criteria:
        """The sign-off criteria (read from the criteria file when one is named)."""
        if isinstance(self.criteria, Criteria):
            return self.criteria
        return load_criteria(self.criteria)


_REPLAY = "replay/"


def _resolve(plan: Plan, base: Path, node: Any, source: str, allow_outside: bool) -> Plan:
    """The plan with every path absolute; outside ``base`` is an error unless allowed."""
    folder = base.resolve()
    outside: list[str] = []

    def absolute(path: Path, *loc: str, shown: str | None = None) -> Path:
        resolved = (folder / path).resolve()  # an absolute path stays itself; symlinks followed
        if not allow_outside and not resolved.is_relative_to(folder):
            line = line_of(node, loc)
            where = f"{source}:{line}" if line else source
            outside.append(f"{where}: {'.'.join(loc)}: {shown or path} is outside the plan's "
                           f"folder {folder}")
        return resolved

    updates: dict[str, Any] = {
        "dataset": plan.dataset.model_copy(
            update={"path": absolute(plan.dataset.path, "dataset", "path")}),
        "output": absolute(plan.output, "output")}
    if plan.retriever is not None:
        updates["retriever"] = plan.retriever.model_copy(
            update={"corpus": absolute(plan.retriever.corpus, "retriever", "corpus")})
    for side in ("source", "target"):
        cand: CandidateSpec = getattr(plan, side)
        fields: dict[str, Any] = {}
        if cand.prompt is not None:
            fields["prompt"] = absolute(cand.prompt, side, "prompt")
        if cand.recorded_outputs is not None:
            fields["recorded_outputs"] = absolute(cand.recorded_outputs, side,
                                                  "recorded_outputs")
        if cand.model is not None and cand.model.startswith(_REPLAY):
            # a replay/ model names a file too: resolve it like recorded_outputs
            recorded = absolute(Path(cand.model[len(_REPLAY):]), side, "model",
                                shown=cand.model)
            fields["model"] = f"{_REPLAY}{recorded}"
        updates[side] = cand.model_copy(update=fields)
    if isinstance(plan.criteria, Path):
        updates["criteria"] = absolute(plan.criteria, "criteria")
    if plan.port is not None:
        output = absolute(plan.port.output, "port", "output") if plan.port.output is not None \
            else updates["output"] / "ported.yaml"
        updates["port"] = plan.port.model_copy(update={"output": output})
    if outside:
        raise ConfigError("the plan names paths outside its folder; a plan (which may come "
                          "from a pull request) can only use files in its own folder. Move the "
                          "files there, or, if you trust this plan, allow it explicitly "
                          "(allow_outside=True):\n" + "\n".join(outside),
                          argument="allow_outside")
    return plan.model_copy(update=updates)


def _judge_problems(plan: Plan) -> list[tuple[tuple[Any, ...], str]]:
    """The plan's judge model and its provider options, checked as the judge will use them."""
    if plan.judge is None:
        return []
    try:
        provider = provider_class(parse_model_spec(plan.judge)[0])
    except UsageError as exc:  # not provider/model, or an unknown provider
        return [(("judge",), str(exc))]
    try:
        parse_options(provider.Options, f"provider {provider.name}", plan.judge_options)
    except OptionsError as exc:
        return [(("judge_options", *p.option.split(".")), str(p).partition(": ")[2])
                for p in exc.problems]
    return []


def _check_scoring(plan: Plan, node: yaml.Node | None, source: str) -> None:
    """Check the metrics and the judge the way scoring will build them, so a typo in a
    metric's option or a judge metric without a judge is found when the plan loads.

    Raises:
        ConfigError: listing ``file:line: field: message`` for every problem.
    """
    from agility.metrics import JudgeSettings, spec_problems

    found = _judge_problems(plan)
    if not found:
        settings = JudgeSettings(plan.judge, plan.judge_options)
        for problem in spec_problems(plan.metrics, settings):
            loc: tuple[Any, ...] = ("metrics", problem.index)
            if problem.option is not None:
                loc += tuple(problem.option.split("."))
            hint = "; set 'judge' in the plan" if problem.judge_required else ""
            found.append((loc, problem.message + hint))
    if found:
        lines = [f"{source}:{line_of(node, loc) or 1}: {'.'.join(map(str, loc))}: {message}"
                 for loc, message in found]
        raise ConfigError("invalid migration plan; fix these fields:\n" + "\n".join(lines))


def _check_routing(data: dict[str, Any], node: Any, source: str,
                   policy: RoutingPolicy) -> None:
    """Refuse routing options (hosts, credential names) the user did not allow outside the
    file: a plan from a pull request must not pick which secret goes to which host."""
    found: list[tuple[tuple[Any, ...], str]] = []

    def check(loc: tuple[Any, ...], options: Any) -> None:
        if isinstance(options, dict):
            found.extend(((*loc, name.split(".")[0]), problem)
                         for name, problem in routing_problems(options, policy))

    for side in ("source", "target"):
        candidate = data.get(side)
        if isinstance(candidate, dict):
            check((side, "provider_options"), candidate.get("provider_options"))
            if candidate.get("system") is not None:
                # code the plan names runs, and an http: system's secrets are bound to their
                # host on the command line, never by the plan
                found.extend(((side, "system", *field.split(".")), problem)
                             for field, problem in system_problems(
                                 candidate["system"], policy, secrets_from_file=False))
    check(("judge_options",), data.get("judge_options"))
    if isinstance(data.get("port"), dict):
        check(("port", "optimizer_options"), data["port"].get("optimizer_options"))
    for index, metric in enumerate(data.get("metrics") or []):
        check(("metrics", index), metric)
        if isinstance(metric, dict):  # a metric's own judge and its provider options
            check(("metrics", index, "judge_options"), metric.get("judge_options"))
    if found:
        lines = [f"{source}:{line_of(node, loc) or 1}: {'.'.join(map(str, loc))}: {problem}"
                 for loc, problem in found]
        raise ConfigError("the plan routes requests where it may not, or runs code you did "
                          "not allow:\n" + "\n".join(lines))


def parse_plan(text: str, source: str = "plan.yaml", base: Path | None = None, *,
               allow_outside: bool = False, routing: RoutingPolicy | None = None) -> Plan:
    """Parse and validate plan YAML.

    Args:
        text: the YAML text.
        source: the file name used in error messages.
        base: the folder relative paths resolve against (default: the working directory).
        allow_outside: accept paths outside ``base`` (by default each must resolve inside it).
        routing: the hosts and credential names the user allowed outside the file (default:
            :meth:`RoutingPolicy.from_environment`); see :mod:`agility.providers._routing`.

    Returns:
        The validated plan with absolute paths.

    Raises:
        ConfigError: malformed YAML, invalid fields, or a path outside ``base``; every problem
            is listed as ``file:line: field.path: message``.
    """
    data, node = load_yaml(text, source)
    if not isinstance(data, dict):
        raise ConfigError(f"{source}:1: -: a plan is a mapping with name, dataset, source, "
                          f"target, ...; run `agility init` for a commented starter plan.")
    _check_routing(data, node, source, routing or RoutingPolicy.from_environment())
    if isinstance(data.get("criteria"), dict):
        data["criteria"] = validate_yaml(data["criteria"], child_node(node, "criteria"), Criteria,
                                         source, "sign-off criteria", prefix=("criteria",))
    plan = validate_yaml(data, node, Plan, source, "migration plan")
    _check_scoring(plan, node, source)
    plan = _resolve(plan, base or Path.cwd(), node, source, allow_outside)
    return plan.model_copy(update={"plan_hash": hashlib.sha256(text.encode()).hexdigest()})


def load_plan(path: str | Path, *, allow_outside: bool = False,
              routing: RoutingPolicy | None = None) -> Plan:
    """Read and validate a migration plan file.

    Args:
        path: the plan's YAML file; relative paths inside it resolve against its folder.
        allow_outside: accept paths outside the plan's folder (see the module docstring).
        routing: hosts and credential names allowed outside the file (see :func:`parse_plan`).

    Returns:
        The plan, with absolute paths, ``path`` and ``plan_hash`` set.

    Raises:
        ConfigError: the file is missing, unreadable or invalid, or names a path outside its
            folder (names file:line: field).
    """
    path = Path(path)
    text = read_config_text(path, "plan file", f"Check the path, or write a starter plan with "
                                               f"`agility init {path}`.")
    plan = parse_plan(text, str(path), base=path.resolve().parent, allow_outside=allow_outside,
                      routing=routing)
    return plan.model_copy(update={"path": path.resolve()})
