"""The search: score candidates on a dev minibatch, the finalists on the whole dev split.

Order: the source prompt (the baseline), the rules' candidates, few-shot pairs added to the best
so far (for a small model: to the layout without instructions; k grows while it gains), then the optimiser's rewrite and reflective rounds (each on the
best so far, stopping after ``patience`` rounds without gain). Every candidate is scored on the
same seeded, stratified minibatch of dev rows, so they compare pair for pair. The best
``finalists`` (and always the source prompt) are then scored on every dev row left for scoring;
the chosen one has the highest mean of the selection metric there, lower cost per call, fewer
input tokens and then lower latency breaking ties (a candidate that ties the source on all
but latency does not replace it: :func:`final_key`). Nothing here can read the holdout: the rows
it is given are dev rows, and :class:`~agility.port._evaluate.Evaluator` refuses any other while searching.

Safety is a constraint, not a tie-breaker (:mod:`agility.port._safety`): every candidate's first
look answers the dev safety rows beside the minibatch (they count for the safety check only, so
the minibatch score keeps the dev split's mix); a candidate that drops one of the source's
constraints, or does worse than the source on the safety checks (at first look, then among the
finalists on every dev row scored), is disqualified: never the best so far, a finalist or the
choice. The source is never disqualified, so when every other
finalist is, the source prompt is kept and the outcome says why.

The budget holds back what the finalists and the holdout scoring need while the search
explores; a candidate whose minibatch does not fit what is left ends the exploration.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from agility.port._candidate import Candidate, CandidateScore
from agility.port._constraints import Constraint, carried, carry_constraints
from agility.port._evaluate import Evaluator
from agility.port._family import Family, FormatEcho, find_format_echoes
from agility.port._fewshot import ShotSource, fewshot_candidates, with_shots
from agility.port._optimizer import BadReply, Optimizer, parse_reply
from agility.port._options import FewShotStrategy, PortOptions
from agility.port._rules import AnswerShape, rules_candidates
from agility.port._safety import SafetyChecks

__all__ = ["Round", "SearchOutcome", "final_key", "rank_key", "run_search"]

Say = Callable[[str], None]


@dataclass
class Round:
    """One step of the search: what it tried and whether it gained."""

    name: str
    tried: list[str] = field(default_factory=list)
    best_before: float | None = None
    best_after: float | None = None
    note: str = ""

    @property
    def gained(self) -> bool:
        """Whether the round raised the best minibatch score."""
        if self.best_after is None:
            return False
        return self.best_before is None or self.best_after > self.best_before


@dataclass
class SearchOutcome:
    """What the search did and chose."""

    candidates: list[Candidate]
    rounds: list[Round]
    chosen: Candidate
    source: Candidate
    finalists: list[str]
    stop_reason: str
    echo: FormatEcho | None
    rejected: list[dict[str, str]] = field(default_factory=list)
    #: finalists ranked above the chosen one by the selection metric, and why each was not
    #: chosen
    passed_over: list[dict[str, str]] = field(default_factory=list)
    #: what safety decided, in a sentence
    safety_decision: str = ""


def rank_key(score: CandidateScore | None) -> tuple[float, float, float, float]:
    """Sort key: higher mean first, then lower cost per call, fewer input tokens, then lower
    latency. Tokens come before latency because they are counted, not timed: a model priced
    at $0 a token (a local one) would otherwise break a tie on timing noise, and the same port
    could choose another prompt on a busier machine."""
    if score is None or score.mean is None:
        return (math.inf, math.inf, math.inf, math.inf)
    return (-score.mean,
            score.cost_per_call_usd if score.cost_per_call_usd is not None else math.inf,
            score.input_tokens_mean if score.input_tokens_mean is not None else math.inf,
            score.latency_p50_ms if score.latency_p50_ms is not None else math.inf)


def final_key(candidate: Candidate, source: Candidate) -> tuple[Any, ...]:
    """Sort key of the final choice on the dev rows: :func:`rank_key`, except that a
    candidate that only ties the source on the counted figures (mean, cost, tokens) does not
    beat it on latency: a faster p50 on a few rows is timing noise, not a reason to change
    the prompt (between two new prompts, latency still breaks the tie)."""
    key = rank_key(candidate.dev)
    return (key[:3], candidate is not source, key[3])


class _Search:
    def __init__(self, ev: Evaluator, options: PortOptions, minibatch: Sequence[str],
                 scored: Sequence[str], say: Say, constraints: Sequence[Constraint],
                 safety: SafetyChecks) -> None:
        self.ev, self.options, self.say = ev, options, say
        self.minibatch, self.scored = list(minibatch), list(scored)
        self.constraints, self.safety = list(constraints), safety
        #: a candidate's first look: the minibatch, then the safety rows it lacks (they count
        #: for the safety check only, so the minibatch score keeps the dev split's mix)
        self.first_look = self.minibatch + [i for i in safety.rows
                                            if i not in set(self.minibatch)]
        self.source: Candidate | None = None
        self.candidates: dict[str, Candidate] = {}
        self.fingerprints: dict[str, str] = {}
        self.rounds: list[Round] = []
        self.rejected: list[dict[str, str]] = []
        self.out_of_budget = False

    @property
    def best(self) -> Candidate:
        """The best candidate on the minibatch so far (the source when none has a score)."""
        scored = [c for c in self.candidates.values() if c.minibatch is not None
                  and c.minibatch.mean is not None and c.skipped is None
                  and c.disqualified is None]
        if not scored:
            return next(iter(self.candidates.values()))
        return min(scored, key=lambda c: rank_key(c.minibatch))

    def best_mean(self) -> float | None:
        if not self.candidates:
            return None
        best = self.best
        return best.minibatch.mean if best.minibatch else None

    async def try_candidate(self, candidate: Candidate, round_: Round) -> bool:
        """Score ``candidate`` on the minibatch (and the dev safety rows beside it); False when
        the budget stopped it."""
        if self.out_of_budget:
            candidate.skipped = "the budget ran out before it was scored"
            self.candidates.setdefault(candidate.id, candidate)
            return False
        twin = self.fingerprints.get(candidate.fingerprint)
        if twin is not None:
            candidate.skipped = f"the same prompt and settings as {twin}"
            self.candidates.setdefault(candidate.id, candidate)
            return True
        self.fingerprints[candidate.fingerprint] = candidate.id
        self.candidates[candidate.id] = candidate
        round_.tried.append(candidate.id)
        short = await self.ev.run(candidate, self.first_look)
        candidate.minibatch = self.ev.figures(candidate, self.minibatch)
        if short:
            candidate.skipped = (f"the budget ran out: answered {len(self.ev.results(candidate))} "
                                 f"of its {len(self.first_look)} first-look rows")
            self.out_of_budget = True
            return False
        self.vet(candidate)
        safety = "".join(f"; {name} {_fmt(score.mean)}"
                         for name, score in candidate.safety_minibatch.items())
        self.say(f"port: {candidate.label} ({candidate.id}) on {len(self.minibatch)} dev rows: "
                 f"{self.options.gated_metric} {_fmt(candidate.minibatch.mean)}{safety}"
                 + (f"; disqualified: {candidate.disqualified}" if candidate.disqualified
                    else ""))
        return True

    def vet(self, candidate: Candidate) -> None:
        """Check the constraints ``candidate`` carries and its safety at first look against
        the source's; disqualify it when it drops one or does worse."""
        candidate.carries = tuple(carried(candidate.spec, self.constraints))
        candidate.safety_minibatch = self.safety.figures(self.ev, candidate, self.first_look)
        if self.source is None:
            self.source = candidate  # the baseline: never disqualified
            return
        dropped = [i for i, kept in enumerate(candidate.carries, 1) if not kept]
        if dropped:
            candidate.disqualified = (f"drops constraint(s) {', '.join(map(str, dropped))} of "
                                      f"the source prompt")
            return
        worse = self.safety.regression(self.ev, candidate, self.source, self.first_look)
        if worse:
            candidate.disqualified = f"safety worse than the source's at first look ({worse})"

    def open_round(self, name: str) -> Round:
        round_ = Round(name, best_before=self.best_mean())
        self.rounds.append(round_)
        return round_

    def close_round(self, round_: Round) -> None:
        round_.best_after = self.best_mean()


def _fmt(value: float | None) -> str:
    return "not measured" if value is None else f"{value:.3f}"


async def run_search(ev: Evaluator, options: PortOptions, source: Candidate, *, family: Family,
                     shape: AnswerShape, has_context: bool, minibatch: Sequence[str],
                     scored: Sequence[str], shots: ShotSource | None,
                     optimizer: Optimizer | None, required: set[str], probe: Any,
                     finalist_calls: int, say: Say, constraints: Sequence[Constraint] = (),
                     safety: SafetyChecks | None = None) -> SearchOutcome:
    """Search for the best prompt for the target (see the module docstring).

    Args:
        ev: runs and scores candidates.
        options: the port's settings.
        source: the source prompt's candidate (the baseline).
        family: the target's family.
        shape: the dev golds' shape.
        has_context: whether the prompt shows documents.
        minibatch: the dev rows every candidate is first scored on.
        scored: every dev row candidates are scored on (the minibatch first).
        shots: the few-shot pool (None: no few-shot generator).
        optimizer: the optimiser (None: no optimiser generator).
        required: variables a prompt must use.
        probe: a dev row a new prompt must render for.
        finalist_calls: calls held back for the finalists while exploring.
        say: progress lines.
        constraints: the source prompt's constraints (every candidate must carry them).
        safety: the safety checks (default: none).
    """
    safety = safety or SafetyChecks(options.safety_tag, (), options.gated_metric, ())
    s = _Search(ev, options, minibatch, scored, say, constraints, safety)
    budget = ev.budget
    holdout_calls = budget.held_calls
    budget.held_calls += finalist_calls
    generators = options.active_generators()
    first = s.open_round("baseline")
    if not await s.try_candidate(source, first):
        raise _too_small(budget)
    s.close_round(first)
    holdout_usd = _hold_usd(budget, source, holdout_calls, finalist_calls, generators)
    results = ev.results(source)
    echo = find_format_echoes(((i, results[i].output if i in results else None)
                               for i in minibatch), family)
    if echo.found:
        say(f"port: the source prompt's answers echo chat markup ({', '.join(echo.markers)}) "
            f"in {echo.answers} of {echo.of_answers}: the target may be served in another "
            f"family's format; preferring a plain layout and stopping at the markup")
    if "rules" in generators:
        round_ = s.open_round("rules")
        for candidate in rules_candidates(source, family, shape, echo, has_context,
                                          text=ev.supports_text, constraints=constraints):
            if not await s.try_candidate(candidate, round_):
                break
        s.close_round(round_)
    if "few_shot" in generators and shots is not None and not s.out_of_budget:
        await _few_shot(s, shots, options, family)
    if "optimizer" in generators and optimizer is not None and not s.out_of_budget:
        await _optimize(s, optimizer, options, family, required, probe, shots)
    stop = ("the budget ran out" if s.out_of_budget else
            "no round gained within the patience" if _stalled(s.rounds, options.patience)
            else "every generator ran")
    budget.held_calls, budget.held_usd = holdout_calls, holdout_usd
    finalists = _finalists(s, source, options.finalists)
    rest = [i for i in scored if i not in set(minibatch)]
    if rest:
        say(f"port: finalists {', '.join(c.label for c in finalists)} on all "
            f"{len(scored)} dev rows")
    for candidate in finalists:
        short = await ev.run(candidate, scored)
        if short:
            stop += "; the budget ran out while scoring the finalists"
    common = _common_ids(ev, finalists, scored)
    for candidate in finalists:
        candidate.dev = ev.figures(candidate, common)
        candidate.safety_dev = safety.figures(ev, candidate, common)
        if candidate is not source and candidate.disqualified is None:
            worse = safety.regression(ev, candidate, source, common)
            if worse:
                candidate.disqualified = f"safety worse than the source's on the dev rows " \
                                         f"({worse})"
    ranked = sorted(finalists, key=lambda c: final_key(c, source))
    chosen = next(c for c in ranked if c is source or c.disqualified is None)
    # passed over: finalists ranked above the choice on the dev rows, and candidates
    # disqualified at first look whose minibatch score was above the choice's
    above = ranked[:ranked.index(chosen)]
    above += [c for c in s.candidates.values()
              if c.disqualified and c not in above and c.minibatch is not None
              and c.minibatch.mean is not None
              and rank_key(c.minibatch) < rank_key(chosen.minibatch)]
    passed_over = [{"candidate": c.id, "label": c.label, "reason": c.disqualified or ""}
                   for c in above]
    decision = _safety_decision(safety, chosen, source, passed_over, options)
    say(f"port: chose {chosen.label} ({chosen.id}): dev {options.gated_metric} "
        f"{_fmt(chosen.dev.mean if chosen.dev else None)} (source "
        f"{_fmt(source.dev.mean if source.dev else None)}) on {len(common)} rows")
    say(f"port: safety: {decision}")
    return SearchOutcome(candidates=list(s.candidates.values()), rounds=s.rounds,
                         chosen=chosen, source=source, finalists=[c.id for c in finalists],
                         stop_reason=stop, echo=echo, rejected=s.rejected,
                         passed_over=passed_over, safety_decision=decision)


def _safety_decision(safety: SafetyChecks, chosen: Candidate, source: Candidate,
                     passed_over: Sequence[dict[str, str]], options: PortOptions) -> str:
    """What safety decided, in a sentence a person reads (the report's and the CLI's)."""
    if not safety.measured:
        return (f"not measured: no dev row scored is tagged '{safety.tag}' and no safety "
                f"metric is set (tag rows, or add a safety metric, to check it); the "
                f"candidates were only checked to carry the source prompt's constraints")
    figures = "; ".join(
        f"{name} {_fmt(score.mean)} (source {_fmt(source.safety_dev[name].mean)})"
        if name in source.safety_dev else f"{name} {_fmt(score.mean)}"
        for name, score in chosen.safety_dev.items())
    shown = f" ({figures} on the dev rows scored)" if figures else ""
    # no worse than the source is not safe: say what the chosen prompt still gets wrong
    failing = [f"{name} {score.mean:.3f}" for name, score in chosen.safety_dev.items()
               if score.mean is not None and score.mean < 1.0]
    if failing:
        shown += (f"; not safe on every row: {', '.join(failing)} (read those answers before "
                  f"signing off)")
    passed = "; ".join(f"{p['label']}: {p['reason']}" for p in passed_over)
    if chosen is source and passed_over:
        return (f"kept the source prompt: no candidate beat it on {options.gated_metric} "
                f"without doing worse on safety or dropping a constraint (passed over: "
                f"{passed}){shown}")
    if passed_over:
        return (f"chose {chosen.label}, which does no worse than the source on safety"
                f"{shown}; passed over for safety: {passed}")
    if chosen is source:
        return f"the source prompt was kept (nothing beat it on {options.gated_metric}){shown}"
    return f"{chosen.label} does no worse than the source on safety{shown}"


def _hold_usd(budget: Any, source: Candidate, holdout_calls: int, finalist_calls: int,
              generators: Sequence[str]) -> float:
    """Hold back USD for the finalists and the holdout, at the source prompt's measured cost
    per call with a margin (a ported prompt with few-shot pairs may cost more). This is a
    plan, not the guarantee: every batch is checked against its worst case before it goes.

    Returns:
        the USD held for the holdout (kept after the finalists are scored)."""
    measured = source.minibatch.cost_per_call_usd if source.minibatch else None
    if budget.usd is None or measured is None:
        return 0.0
    per_call = measured * (2.0 if {"few_shot", "optimizer"} & set(generators) else 1.2)
    budget.held_usd = (holdout_calls + finalist_calls) * per_call
    return holdout_calls * per_call


def _too_small(budget: Any) -> Exception:
    from agility.errors import UsageError

    return UsageError(f"the budget is too small to score even the source prompt on the "
                      f"minibatch (calls limit {budget.calls}, USD limit {budget.usd}); "
                      f"raise it or lower the minibatch", argument="budget_calls")


def _stalled(rounds: Sequence[Round], patience: int) -> bool:
    tail = [r for r in rounds if r.name.startswith(("optimizer", "few-shot"))][-patience:]
    return len(tail) >= patience and not any(r.gained for r in tail)


def _few_shot_base(s: _Search, family: Family) -> Candidate:
    """The candidate pairs are added to: the best so far; for a small model the layout without
    instructions but the source's constraints (it echoes instructions; the pairs show it what
    to do instead), unless it was disqualified."""
    if family.small:
        bare = [c for c in s.candidates.values() if c.label == "rules-bare" and c.skipped is None
                and c.disqualified is None]
        if bare:
            return bare[0]
    return s.best


async def _few_shot(s: _Search, shots: ShotSource, options: PortOptions,
                    family: Family) -> None:
    try:
        await shots.load()
    except Exception as exc:  # noqa: BLE001 - a retriever's failure skips few-shot, said so
        # without the pool rows' documents a pair would show a question with no excerpt:
        # no few-shot candidate is made, and the report says why
        s.rejected.append({"label": "few-shot", "reason": f"the few-shot pool's documents "
                                                          f"could not be retrieved: "
                                                          f"{type(exc).__name__}: {exc}"})
        return
    base = _few_shot_base(s, family)
    alive = list(options.few_shot.strategies)
    previous: dict[str, float | None] = {k: base.minibatch.mean if base.minibatch else None
                                         for k in alive}
    for k in options.few_shot.k:
        if not alive or s.out_of_budget:
            break
        round_ = s.open_round(f"few-shot k={k}")
        made = fewshot_candidates(base, shots, alive, k, options.seed)
        still: list[FewShotStrategy] = []
        for candidate in made:
            if not await s.try_candidate(candidate, round_):
                break
            strategy = candidate.shots[0] if candidate.shots else ""
            score = candidate.minibatch.mean if candidate.minibatch else None
            before = previous.get(strategy)
            if score is not None and (before is None or score > before + options.min_gain):
                still.append(cast(FewShotStrategy, strategy))  # it gained: try it with one more pair
            previous[strategy] = score
        s.close_round(round_)
        alive = still
        if not round_.gained and _stalled(s.rounds, options.patience):
            break


async def _optimize(s: _Search, optimizer: Optimizer, options: PortOptions, family: Family,
                    required: set[str], probe: Any, shots: ShotSource | None) -> None:
    pool = shots.pool if shots is not None else []
    for number in range(1, options.optimizer_rounds + 1):
        if s.out_of_budget:
            break
        base = s.best
        round_ = s.open_round(f"optimizer round {number}")
        asks: list[tuple[str, str]] = []
        if number == 1:
            asks.append(("rewrite", optimizer.rewrite_prompt(
                base, family, options.target, pool, required, s.constraints)))
        failures = s.ev.failures(base, s.minibatch)
        if failures:
            asks.append(("reflect", optimizer.reflect_prompt(
                base, family, options.target, failures, required, s.constraints)))
        for kind, prompt in asks:
            reply, problem = await optimizer.ask(prompt)
            label = f"optimizer-{kind}-{number}"
            if reply is None:
                s.rejected.append({"label": label, "reason": problem or "no reply"})
                if problem == "budget exhausted":
                    s.out_of_budget = True
                    break
                continue
            try:
                spec = parse_reply(reply, base.spec, required, probe)
                # a rewrite may drop or reword a constraint: it goes back word for word
                spec, added = carry_constraints(spec, s.constraints)
            except BadReply as bad:
                s.rejected.append({"label": label, "reason": bad.reason,
                                   "reply": reply[:2000]})
                s.say(f"port: {label}: skipped, {bad.reason}")
                continue
            if base.shots is not None and shots is not None:
                strategy, k, ids = base.shots
                rows = [ex for ex in shots.pool if ex.id in set(ids)]
                probe_candidate = Candidate(label, "optimizer", spec, base.config)
                spec = with_shots(probe_candidate, shots, strategy, k, rows)
            kept = f"; {added} constraint(s) of the source put back" if added else ""
            candidate = Candidate(label, "optimizer", spec, base.config, parent=base.id,
                                  shots=base.shots,
                                  note=f"the optimiser's {kind} of {base.label}{kept}")
            if not await s.try_candidate(candidate, round_):
                break
        s.close_round(round_)
        if _stalled(s.rounds, options.patience):
            break


def _finalists(s: _Search, source: Candidate, count: int) -> list[Candidate]:
    ranked = sorted((c for c in s.candidates.values()
                     if c is not source and c.skipped is None and c.minibatch is not None
                     and c.minibatch.mean is not None and c.disqualified is None),
                    key=lambda c: rank_key(c.minibatch))
    return [source, *ranked[:count]]


def _common_ids(ev: Evaluator, finalists: Sequence[Candidate], ids: Sequence[str]
                ) -> list[str]:
    answered = [set(ev.results(c)) for c in finalists]
    return [i for i in ids if all(i in a for a in answered)]
