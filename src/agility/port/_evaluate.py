"""Scoring candidates with the real target: runs through the runner, reserved in the budget.

Each candidate has one run, ``port/<port>/<candidate id>``, over the golden dataset. A call of
:meth:`Evaluator.run` asks for some examples; those the run already answered are not called
again (a resumed port pays nothing twice), the others are reserved in the ledger (cut to what
the budget allows), called through :func:`agility.runner.arun_model` with ``example_ids`` (or,
porting a system's prompt, :func:`~agility.runner.arun_system`: the system answers with each
candidate prompt as its template), and scored with the port's metric. While searching, only
dev rows can be asked for: the runner selects ids inside the ``dev`` split, so a holdout id is
an error, never a call.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from agility._quantile import nearest_rank
from agility.chat import ChatRequest
from agility.port._budget import Budget, Ledger, worst_case_usd
from agility.port._candidate import Candidate, CandidateScore
from agility.port._options import PortOptions
from agility.pricing import Price, load_price_table, resolve_price
from agility.prompts import prompt_format
from agility.providers import get_provider
from agility.retrieval import Retriever
from agility.runner._call import RunMasks
from agility.store import ResultRecord, ScoreRecord, Store

__all__ = ["Evaluator", "Failure"]

Phase = Literal["search", "holdout"]


@dataclass(frozen=True)
class Failure:
    """A dev answer the metric did not pass (what the optimiser's reflective step reads)."""

    example_id: str
    question: str
    expected: str
    answer: str | None
    reason: str


class Evaluator:
    """Runs and scores candidates for one port.

    Args:
        store: the store.
        dataset: the golden dataset (a :class:`~agility.dataset.Dataset`).
        options: the port's options (target, settings, price, metric).
        port: the port's name.
        budget: the limits (its ``spent`` is refreshed from the ledger).
        retriever: the RAG step run before each prompt, or None.
        masks: a privacy policy's masks of the candidates' runs (what is sent to the target,
            what is stored), None: nothing masked.
        mask_judged: masks what the scoring's judges are given.
    """

    def __init__(self, store: Store, dataset: Any, options: PortOptions, port: str,
                 budget: Budget, retriever: Retriever | None,
                 masks: RunMasks | None = None,
                 mask_judged: Callable[[str], str] | None = None) -> None:
        self.store, self.dataset, self.options, self.port = store, dataset, options, port
        self.budget, self.retriever = budget, retriever
        self.masks, self.mask_judged = masks, mask_judged
        self.ledger = Ledger(store, port)
        from agility.port._safety import safety_metrics

        #: the safety metrics, scored on every candidate's answers while searching
        self.safety_metrics = safety_metrics(options.safety_metrics, options.metrics)
        #: what the search scores (the selection metric and the safety metrics)
        self.search_metrics = list(dict.fromkeys([options.gated_metric,
                                                  *self.safety_metrics]))
        #: what the final scoring reports
        self.metrics = list(dict.fromkeys([options.gated_metric, *options.metrics,
                                           *self.safety_metrics]))
        self.price = self._price()
        #: the retriever's price per query: in each call's worst case (the runner adds the
        #: retrieval's own cost to each answer, so it is not passed to the runner again)
        self.extra_cost_usd = getattr(retriever, "cost_per_query_usd", None) or 0.0
        #: how many target calls this process sent (the budget counts every process's)
        self.calls_sent = 0

    def _price(self) -> Price | None:
        provider = get_provider(self.options.target, self.options.target_options)
        #: whether the target takes a text prompt (a completions API)
        self.supports_text = provider.supports_text
        price = self.options.price
        return resolve_price(load_price_table(), provider.name, provider.model,
                             region=getattr(provider.options, "region", None),
                             local=provider.local,
                             price_input=None if price is None else price.input_per_mtok,
                             price_output=None if price is None else price.output_per_mtok)

    def run_name(self, candidate: Candidate) -> str:
        """The store run of ``candidate``."""
        return f"port/{self.port}/{candidate.id}"

    def results(self, candidate: Candidate) -> dict[str, ResultRecord]:
        """The candidate's stored answers by example id (repeat 0)."""
        run = self.store.get_run(self.run_name(candidate))
        if run is None:
            return {}
        return {r.example_id: r for r in self.store.results(run.id) if r.repeat_index == 0}

    def scores(self, candidate: Candidate, metric: str) -> dict[str, ScoreRecord]:
        """The candidate's stored scores of ``metric`` by example id."""
        run = self.store.get_run(self.run_name(candidate))
        if run is None:
            return {}
        return {s.example_id: s for s in self.store.scores(run.id, metric)
                if s.repeat_index == 0}

    def refresh(self) -> None:
        """Bring the budget's spend up to date with the ledger (every process's calls)."""
        self.budget.spent = self.ledger.spend()

    async def _worst_cases(self, candidate: Candidate, ids: Sequence[str]) -> list[float | None]:
        if self.budget.usd is None:
            return [None] * len(ids)
        out: list[float | None] = []
        for example_id in ids:
            example = self.dataset.by_id(example_id)
            contexts = None
            if self.retriever is not None:
                contexts = list((await self.retriever.retrieve(example)).contexts)
            config = example.generation_config.merged(candidate.template.config).merged(
                candidate.config)
            request = ChatRequest(messages=candidate.template.render(example, contexts),
                                  config=config,
                                  prompt_format=prompt_format(candidate.template, example))
            out.append(worst_case_usd(self.price, request, self.extra_cost_usd))
        return out

    async def _job(self, candidate: Candidate, ids: Sequence[str], phase: Phase
                   ) -> tuple[dict[str, Any] | None, int]:
        """The runner job answering the ``ids`` the candidate has not answered yet (cut to
        what the budget allows, and reserved in the ledger), and how many were cut; None when
        there is nothing to call."""
        done = self.results(candidate)
        todo = [i for i in ids if i not in done]
        short = 0
        if todo:
            self.refresh()
            worst = await self._worst_cases(candidate, todo)
            fit = self.budget.take(worst, use_held=phase == "holdout")
            short = len(todo) - fit
            todo, worst = todo[:fit], worst[:fit]
        if not todo:
            return None, short
        name = self.run_name(candidate)
        self.ledger.reserve(name, todo, worst, phase)
        self.calls_sent += len(todo)
        price = self.options.price
        job: dict[str, Any] = {
            "dataset": self.dataset, "model": self.options.target,
            "name": name, "store": self.store,
            "provider_options": dict(self.options.target_options),
            "template": candidate.template, "config": candidate.config,
            "concurrency": self.options.concurrency, "timeout_s": self.options.timeout_s,
            "resume": self.store.get_run(name) is not None, "retriever": self.retriever,
            "price_input": None if price is None else price.input_per_mtok,
            "price_output": None if price is None else price.output_per_mtok,
            "splits": ("dev",) if phase == "search" else ("holdout",),
            "example_ids": todo, "progress": False, "masks": self.masks}
        system = self.options.system
        if system is not None:  # the candidate prompt in the system: it retrieves (the same
            # retriever) and calls the target through settings.generate
            job.update(system=system, base_dir=self.options.system_dir,
                       allow_outside=self.options.system_allow_outside)
        return job, short

    async def run(self, candidate: Candidate, ids: Sequence[str], phase: Phase = "search",
                  *, metrics: Sequence[str] | None = None) -> int:
        """Answer and score ``ids`` with ``candidate`` (as many as the budget allows).

        Args:
            candidate: the prompt and its settings.
            ids: the examples, in order (dev ids while searching, holdout ids after).
            phase: ``search`` (dev split only) or ``holdout`` (the final scoring, which may
                spend the reserve held for it).
            metrics: the metrics to score (default: the selection metric and the safety
                metrics).

        Returns:
            How many of ``ids`` were not answered because the budget ran out.

        Raises:
            UsageError: an id is not in the phase's split (a holdout id while searching).
        """
        return await self.run_together([candidate], ids, phase, metrics=metrics)

    async def run_together(self, candidates: Sequence[Candidate], ids: Sequence[str],
                           phase: Phase = "search", *,
                           metrics: Sequence[str] | None = None) -> int:
        """Answer and score ``ids`` with each candidate, their calls interleaved (A B B A).

        Two candidates scored one after the other would be timed under the load of two
        different windows; interleaved, load drift hits both alike (each run records it in
        its ``timing_sessions``), so their latencies and throughputs compare the prompts.

        Returns:
            How many answers are missing over all candidates because the budget ran out.
        """
        from agility.runner import arun_interleaved, arun_model, arun_system

        short, jobs = 0, []
        for candidate in candidates:
            job, cut = await self._job(candidate, ids, phase)
            short += cut
            if job is not None:
                jobs.append(job)
        if len(jobs) > 1:
            await arun_interleaved(jobs)
        elif jobs:
            job = jobs[0]
            await (arun_system(**job) if "system" in job else arun_model(**job))
        if jobs:
            self.refresh()
        for candidate in candidates:
            if self.store.get_run(self.run_name(candidate)) is not None:
                await self.score(candidate, metrics or self.search_metrics)
        return short

    async def score(self, candidate: Candidate, metrics: Sequence[str]) -> None:
        """Score the candidate's unscored answers with ``metrics`` (stored with the run)."""
        from agility.metrics import ascore_run

        await ascore_run(self.store, self.run_name(candidate), list(metrics),
                         judge=self.options.judge,
                         judge_options=dict(self.options.judge_options) or None,
                         mask_judged=self.mask_judged,
                         mask_stored=None if self.masks is None else self.masks.store)

    def figures(self, candidate: Candidate, ids: Sequence[str],
                metric: str | None = None) -> CandidateScore:
        """The candidate's figures over ``ids`` (what it has answered of them)."""
        metric = metric or self.options.gated_metric
        results = self.results(candidate)
        scores = self.scores(candidate, metric)
        values: list[float] = []
        out = CandidateScore()
        latencies, ttfts, costs, tokens = [], [], [], []
        for example_id in ids:
            result = results.get(example_id)
            if result is None:
                continue
            out.n += 1
            if result.error is not None:
                out.n_failed += 1
                values.append(0.0)  # a failed call counts as a failure, as at the gate
                continue
            score = scores.get(example_id)
            if score is None or score.error is not None or score.score is None:
                out.n_unscored += 1
            else:
                values.append(score.score)
            if result.cost_usd is not None:
                costs.append(result.cost_usd)
            if result.latency_ms is not None and not result.cached:
                latencies.append(result.latency_ms)
            if result.ttft_ms is not None and not result.cached:
                ttfts.append(result.ttft_ms)
            if result.input_tokens is not None:
                tokens.append(result.input_tokens)
        out.mean = sum(values) / len(values) if values else None
        out.cost_per_call_usd = sum(costs) / len(costs) if costs else None
        out.latency_p50_ms = nearest_rank(latencies, 0.5)
        out.ttft_p50_ms = nearest_rank(ttfts, 0.5)
        out.input_tokens_mean = sum(tokens) / len(tokens) if tokens else None
        return out

    def failures(self, candidate: Candidate, ids: Sequence[str], limit: int = 5
                 ) -> list[Failure]:
        """Up to ``limit`` of ``ids`` the candidate's answers did not pass (dev rows only)."""
        results = self.results(candidate)
        scores = self.scores(candidate, self.options.gated_metric)
        out = []
        for example_id in ids:
            result, score = results.get(example_id), scores.get(example_id)
            if result is None:
                continue
            if result.error is None and (score is None or score.score is None
                                         or score.score >= 1.0):
                continue
            example = self.dataset.by_id(example_id)
            if example.split == "holdout":  # never shown to the optimiser
                continue
            reason = f"the call failed: {result.error}" if result.error is not None \
                else (score.reason if score is not None and score.reason else "graded wrong")
            out.append(Failure(example_id, example.question, example.ground_truth,
                               result.output, reason))
            if len(out) >= limit:
                break
        return out
