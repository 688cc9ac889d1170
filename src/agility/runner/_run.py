"""``run_model``: benchmark one model over a golden dataset, writing each result as it completes.

Bounded concurrency comes from a fixed pool of worker coroutines sharing one iterator of
(example, repeat) pairs, so memory stays flat however large the dataset. Each result is one
committed transaction (results that complete during a write go together in the next one:
:mod:`agility.runner._writer`), so a crash or ``kill -9`` loses at most the calls in flight, and
``resume=True`` calls only what has no successful result yet.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from agility._ray import check_reachable
from agility._sync import run_sync
from agility.chat import GenerationConfig
from agility.client import Client, RateLimit, RetryPolicy
from agility.errors import AgilityError, InvalidArgument, RunStopped, StoreError, UsageError
from agility.pricing import PriceTable
from agility.prompts import PromptTemplate
from agility.retrieval import Retriever
from agility.runner._call import (
    CallContext,
    RunMasks,
    call_event,
    call_example,
    mask_result,
    warm_up,
)
from agility.runner._interleave import Turnstile
from agility.runner._progress import RunProgress
from agility.runner._setup import RunPlan, prepare_run
from agility.runner._spans_price import span_pricer
from agility.runner._tally import Tally
from agility.runner._timing import TimingSession
from agility.runner._turns import Conversation, History, Turns, conversations
from agility.runner._writer import ResultWriter
from agility.store import (
    LEASE_HEARTBEAT_S,
    LEASE_STALE_AFTER_S,
    NewEvent,
    ResultRecord,
    Store,
    current_actor,
    utc_now,
)
from agility.store._records import RunStatus
from agility.systems import System, SystemSettings, SystemSpec, build_system, parse_system_spec
from agility.trace import instrumented

__all__ = ["RunSummary", "arun_interleaved", "arun_model", "arun_system", "run_interleaved",
           "run_model", "run_system"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RunSummary:
    """What one call of :func:`run_model` did.

    ``n_examples`` counts the selected golden examples; ``n_done``, ``n_errors``, ``n_empty``
    (answers with no text) and ``n_cached`` count the results (example x repeat) written by
    this call; ``total_cost_usd`` is what this call spent (cached answers cost nothing), None
    when the model is not priced. ``top_errors`` holds the most common failure messages with
    their counts; ``n_throttled`` the attempts the provider throttled and
    ``lowest_concurrency`` how far the adaptive limit came down because of them.
    """

    name: str
    run_id: int
    n_examples: int
    n_done: int
    n_errors: int
    n_cached: int
    total_cost_usd: float | None
    wall_time_s: float
    skipped_on_resume: int
    n_empty: int = 0
    n_throttled: int = 0
    concurrency: int = 1
    lowest_concurrency: int = 1
    top_errors: tuple[tuple[str, int], ...] = ()



#: when this many calls in a row have all failed from the start, the run stops
FAIL_FAST_CALLS = 20


async def arun_model(
    dataset: Any,
    model: str = "openai/gpt-4o-mini",
    *,
    name: str,
    store: Store,
    provider_options: dict[str, Any] | None = None,
    template: str | Path | PromptTemplate | None = None,
    config: GenerationConfig | None = None,
    concurrency: int = 8,
    rate_limit: RateLimit | None = None,
    retry: RetryPolicy = RetryPolicy(),  # noqa: B008 - frozen dataclass
    timeout_s: float = 120.0,
    resume: bool = False,
    cache: bool = False,
    repeat: int = 1,
    warmup: int = 0,
    price_input: float | None = None,
    price_output: float | None = None,
    price_cached_input: float | None = None,
    price_cache_write: float | None = None,
    extra_cost_usd: float = 0.0,
    retriever: Retriever | None = None,
    splits: Sequence[str] | None = None,
    rows: int | None = None,
    sample_seed: int = 0,
    turnstile: Turnstile | None = None,
    side: int = 0,
    progress: bool = True,
    prices: PriceTable | str | Path | None = None,
    executor: str = "local",
    ray_address: str | None = None,
    example_ids: Sequence[str] | None = None,
    masks: RunMasks | None = None,
    turns: Turns = "last",
    history: History = "transcript",
) -> RunSummary:
    """Run ``model`` over ``dataset`` and store one result per (example, repeat).

    Args:
        dataset: a Dataset, or the path of a dataset file (verified if frozen).
        model: ``provider/model``.
        name: the run's name (unique in the store; the handle to resume and compare it).
        store: where the run and its results are written.
        provider_options: ``base_url``, ``region``, ... (never API keys: those come from the
            environment).
        template: a prompt template (path or instance); None sends each example's recorded
            prompt with its input context.
        config: generation settings overriding each example's ``generation_config``.
        concurrency: calls in flight at most.
        rate_limit: requests/tokens per minute for this provider.
        retry: the retry policy.
        timeout_s: limit per call (a timed-out call is retried).
        resume: continue the run called ``name``: only pairs without a successful result are
            called (failed ones are retried).
        cache: reuse answers from the store's response cache (flagged ``cached``).
        repeat: calls per example, to measure variance.
        warmup: unrecorded calls made first (model loading, connection pools).
        price_input, price_output: USD per 1M tokens, overriding the price table.
        price_cached_input, price_cache_write: USD per 1M input tokens read from and written
            to the prompt cache (with a ``price_input`` and neither, cache reads cost the
            input price and a call that wrote to the cache is not priced).
        extra_cost_usd: per-query extra cost (vector DB, ...), USD.
        retriever: a retrieval step run before rendering each prompt (needs a template).
        splits: only these splits; None = every row.
        rows: only a seeded sample of this many examples, keeping each stratum's and split's
            share (a larger sample with the same seed holds the smaller one).
        sample_seed: the sample's seed.
        turnstile: start calls in rotation with other runs (see :func:`run_interleaved`).
        side: this run's place in the turnstile's rotation.
        progress: show a progress bar (only on a terminal).
        prices: a price table or a user price file merged over the built-in table.
        executor: ``local`` (this process) or ``ray`` (the examples spread over the tasks of
            a Ray cluster, each writing to the same store; see :mod:`agility.runner._ray`).
        ray_address: the Ray cluster (``auto``, ``ray://host:10001``); None starts a local
            one for the run.
        example_ids: only these examples (of the selected splits; an id outside them is an
            error); None = all. A run called again with more ids resumes with them.
        masks: a privacy policy's masks: of what is sent to the model, of what is stored.
        turns: ``last`` answers each row once (a conversation on its last turn); ``each``
            answers every assistant turn of a conversation row, each a result of its own
            (``ID#t1``, ``ID#t2``..., see :func:`agility.dataset.conversation_turns`);
            ``rows``, ``splits`` and ``example_ids`` pick conversations.
        history: with ``turns="each"``, what the earlier turns of a conversation hold:
            ``transcript`` (the recorded assistant messages) or ``own`` (the answers this run
            got for them; see :mod:`agility.runner._turns`).

    Returns:
        the run's summary.

    Raises:
        UsageError: invalid arguments or a resume that does not match the stored run.
        DatasetError, ConfigError: invalid dataset, template or price file.
        StoreError: the store cannot be written.
    """
    return await _arun(
        dataset, model, name=name, store=store, provider_options=provider_options,
        template=template, config=config, concurrency=concurrency, rate_limit=rate_limit,
        retry=retry, timeout_s=timeout_s, resume=resume, cache=cache, repeat=repeat,
        warmup=warmup, price_input=price_input, price_output=price_output,
        price_cached_input=price_cached_input, price_cache_write=price_cache_write,
        extra_cost_usd=extra_cost_usd, retriever=retriever, splits=splits, rows=rows,
        sample_seed=sample_seed, turnstile=turnstile, side=side, progress=progress,
        prices=prices, executor=executor, ray_address=ray_address, example_ids=example_ids,
        masks=masks, turns=turns, history=history)


async def _arun(
    dataset: Any, model: str | None, *, name: str, store: Store,
    provider_options: dict[str, Any] | None, template: str | Path | PromptTemplate | None,
    config: GenerationConfig | None, concurrency: int, rate_limit: RateLimit | None,
    retry: RetryPolicy, timeout_s: float, resume: bool, cache: bool, repeat: int,
    warmup: int, price_input: float | None, price_output: float | None,
    price_cached_input: float | None, price_cache_write: float | None,
    extra_cost_usd: float, retriever: Retriever | None, splits: Sequence[str] | None,
    rows: int | None, sample_seed: int, turnstile: Turnstile | None, side: int,
    progress: bool, prices: PriceTable | str | Path | None,
    system: System | None = None, system_dir: Path | None = None,
    allow_outside: bool = False, executor: str = "local", ray_address: str | None = None,
    example_ids: Sequence[str] | None = None,
    masks: RunMasks | None = None,
    turns: Turns = "last", history: History = "transcript",
) -> RunSummary:
    """The run behind :func:`arun_model` and :func:`arun_system` (their arguments)."""
    check_run_options(concurrency=concurrency, warmup=warmup, timeout_s=timeout_s,
                      executor=executor, ray_address=ray_address, turns=turns,
                      history=history, retriever=retriever is not None,
                      template=template is not None, system=system is not None,
                      turnstile=turnstile is not None, cache=cache, masks=masks)
    masks = masks or RunMasks()
    ray_masking = _ray_masking(masks) if executor == "ray" else None
    settings = {"concurrency": concurrency, "timeout_s": timeout_s, "cache": cache,
                "warmup": warmup, "retry": asdict(retry), "extra_cost_usd": extra_cost_usd,
                "rate_limit": asdict(rate_limit) if rate_limit else None,
                "retriever": type(retriever).__name__ if retriever is not None else None,
                "executor": executor,
                "privacy": masks.policy,
                **({"turns": turns, "history": history} if turns == "each" else {})}
    described = None if system is None else {"spec": system.name, **system.describe()}
    plan = prepare_run(store, dataset, model, name=name, provider_options=provider_options,
                       template=template, config=config, repeat=repeat, resume=resume,
                       splits=splits, price_input=price_input, price_output=price_output,
                       prices=prices, extra_cost_usd=extra_cost_usd, settings=settings,
                       rows=rows, sample_seed=sample_seed,
                       price_cached_input=price_cached_input,
                       price_cache_write=price_cache_write, system=described,
                       example_ids=example_ids, store_mask=masks.store, turns=turns)
    client = None if plan.provider is None else Client(
        plan.provider, price=plan.price, rate_limit=rate_limit, retry=retry,
        timeout_s=timeout_s, concurrency=concurrency, mask=masks.providers)
    # a system calls the retriever itself (settings.retriever), inside its own spans
    ctx = CallContext(store=store, client=client, template=plan.template, config=config,
                      retriever=retriever if system is None else None,
                      extra_cost_usd=extra_cost_usd, cache=cache,
                      store_mask=masks.store)
    if system is not None:
        ctx.system = system
        ctx.settings = SystemSettings(
            model=plan.provider.spec if plan.provider is not None else None, config=config,
            template=plan.template, options=dict(system.spec.options), base_dir=system_dir,
            allow_outside=allow_outside, client=client, retriever=retriever,
            _loop=asyncio.get_running_loop())
        ctx.span_price = span_pricer(plan.provider, plan.price, prices)
    status: RunStatus = "failed"
    summary: RunSummary | None = None
    # A full garbage collection walks every object in the process (tens of ms here) and
    # stalls all calls in flight, which shows up as TTFT: objects that exist before the run
    # are frozen out of it for the run's duration (gc.unfreeze gives them back afterwards).
    gc.freeze()
    timing = TimingSession(turnstile, side)
    try:
        if executor == "ray":
            assert model is not None  # arun_model always names one; systems are refused above
            summary = await _execute_ray(plan, ctx, store, model, provider_options,
                                         rate_limit, retry, timeout_s, concurrency,
                                         ray_address, masks, ray_masking)
        else:
            summary = await _execute(plan, ctx, concurrency, warmup, progress, turnstile,
                                     side, own_history=history == "own", timing=timing)
        status = "finished"
        return summary
    except RunStopped as stopped:
        summary = stopped.summary
        raise
    except (asyncio.CancelledError, KeyboardInterrupt):
        status = "interrupted"
        raise
    finally:
        if turnstile is not None:
            await turnstile.leave(side)
        gc.unfreeze()
        try:
            _record_end(store, plan, status, summary, timing)
        finally:  # a failed status write (a full disk) must not leave the lease held
            try:
                _release(store, plan, status)
            finally:
                if client is not None:
                    await client.aclose()
                if system is not None:
                    await system.aclose()


def _record_end(store: Store, plan: RunPlan, status: RunStatus, summary: RunSummary | None,
                timing: TimingSession) -> None:
    """The run's status, its audit event and its timing, in the store. A run that did not
    finish (interrupted, failed) reports why it stopped, not that the store could not take
    its end as well (a server gone away): that is said in one line."""
    try:
        store.update_run(plan.run.id, status=status, finished_at=utc_now())
        store.log_event(_finish_event(plan, status, summary))
        timing.save(store, plan.run.name)  # when and how its calls were timed
    except StoreError as exc:
        if status == "finished":
            raise
        log.warning("could not record run %s as %s (%s)", plan.run.name, status, exc)


def _release(store: Store, plan: RunPlan, status: RunStatus) -> None:
    """Give the run's lease up (one that cannot be given up lapses without heartbeats)."""
    try:
        store.release_lease(plan.run.id, plan.lease_owner)
    except StoreError as exc:
        if status == "finished":
            raise
        log.warning("could not release run %s's lease (%s); it lapses %.0f s after its last "
                    "heartbeat", plan.run.name, exc, LEASE_STALE_AFTER_S)


async def arun_system(
    dataset: Any,
    system: SystemSpec | Mapping[str, Any] | str,
    *,
    name: str,
    store: Store,
    model: str | None = None,
    system_options: Mapping[str, Any] | None = None,
    provider_options: dict[str, Any] | None = None,
    template: str | Path | PromptTemplate | None = None,
    config: GenerationConfig | None = None,
    concurrency: int = 8,
    rate_limit: RateLimit | None = None,
    retry: RetryPolicy = RetryPolicy(),  # noqa: B008 - frozen dataclass
    timeout_s: float = 120.0,
    resume: bool = False,
    repeat: int = 1,
    price_input: float | None = None,
    price_output: float | None = None,
    price_cached_input: float | None = None,
    price_cache_write: float | None = None,
    extra_cost_usd: float = 0.0,
    splits: Sequence[str] | None = None,
    rows: int | None = None,
    sample_seed: int = 0,
    turnstile: Turnstile | None = None,
    side: int = 0,
    progress: bool = True,
    prices: PriceTable | str | Path | None = None,
    base_dir: str | Path | None = None,
    allow_outside: bool = False,
    masks: RunMasks | None = None,
    turns: Turns = "last",
    history: History = "transcript",
    retriever: Retriever | None = None,
    example_ids: Sequence[str] | None = None,
) -> RunSummary:
    """Run a system (the application under test) over ``dataset``, one result per (example,
    repeat), with the spans of each answer (see :mod:`agility.systems`).

    Args:
        dataset: a Dataset, or the path of a dataset file (verified if frozen).
        system: a :class:`~agility.systems.SystemSpec`, its mapping, or its one-line form
            (``python:myapp.rag:answer``, ``langgraph:myapp.agent:graph``, ``http:URL``).
        name: the run's name.
        store: where the run and its results are written.
        model: the model the system calls through ``settings.generate`` (None: the system
            picks its own; its calls are still recorded when they go through agility's client
            or an instrumented SDK).
        system_options: with a one-line ``system``, the rest of its settings (``options``,
            ``timeout_s``, ``max_steps``, an endpoint's fields).
        provider_options, template, config, concurrency, rate_limit, retry, timeout_s, resume,
        repeat, price_*, extra_cost_usd, splits, rows, sample_seed, turnstile, side, progress,
        prices: as for :func:`arun_model` (the client settings apply to ``model``'s calls).
        base_dir: the folder the system's file options resolve in (a plan's folder).
        allow_outside: let the system's file options leave ``base_dir``.
        masks: a privacy policy's masks. What is stored (results, spans, the audit event of
            each example) is masked; masking what is sent to providers is refused, since a
            system gets the golden row as it is and makes calls of its own.
        turns, history: as for :func:`arun_model` (the system gets each turn's row).
        retriever: a retrieval step handed to the system (``settings.retriever``): the system
            calls it where it retrieves, inside its own span (the run does not call it).
        example_ids: only these examples (as for :func:`arun_model`).

    Returns:
        the run's summary (a system's failure on an example is that example's error).

    Raises:
        UsageError: invalid arguments, an invalid system spec, or a resume that does not match.
        DatasetError, ConfigError: invalid dataset, template or price file.
    """
    if isinstance(system, str):
        spec = parse_system_spec(system, system_options)
    elif system_options:
        raise UsageError("system_options go with a one-line system spec; put them in the "
                         "spec's mapping instead", argument="system_options")
    else:
        spec = system if isinstance(system, SystemSpec) else build_system(system).spec
    built = build_system(spec)
    with instrumented():
        return await _arun(
            dataset, model, name=name, store=store, provider_options=provider_options,
            template=template, config=config, concurrency=concurrency, rate_limit=rate_limit,
            retry=retry, timeout_s=timeout_s, resume=resume, cache=False, repeat=repeat,
            warmup=0, price_input=price_input, price_output=price_output,
            price_cached_input=price_cached_input, price_cache_write=price_cache_write,
            extra_cost_usd=extra_cost_usd, retriever=retriever, splits=splits, rows=rows,
            sample_seed=sample_seed, turnstile=turnstile, side=side, progress=progress,
            prices=prices, system=built,
            system_dir=Path(base_dir) if base_dir is not None else None,
            allow_outside=allow_outside, masks=masks, turns=turns, history=history,
            example_ids=example_ids)


def check_run_options(*, concurrency: int = 8, warmup: int = 0, timeout_s: float | None = 120.0,
                      executor: str = "local", ray_address: str | None = None,
                      turns: str = "last", history: str = "transcript",
                      retriever: bool = False, template: bool = False, system: bool = False,
                      turnstile: bool = False, cache: bool = False,
                      masks: RunMasks | None = None) -> None:
    """Refuse a run's options that do not go together, before anything is stored.

    :func:`arun_model` and :func:`arun_system` call it first; a caller that opens a store for
    the run (the CLI) calls it before, so a refused run leaves no store behind. The booleans
    say whether the run has a retriever, a template, a system, a turnstile. A given
    ``ray_address`` is connected to once (a mistyped address is not a failed run to resume).

    Raises:
        InvalidArgument: a value out of range or not one of its choices.
        UsageError: options that do not go together.
        RayUnavailable: the Ray address does not answer.
    """
    if concurrency < 1:
        raise InvalidArgument("concurrency", concurrency, "must be at least 1")
    if warmup < 0:
        raise InvalidArgument("warmup", warmup, "must be >= 0")
    if timeout_s is not None and timeout_s <= 0:
        raise InvalidArgument("timeout_s", timeout_s, "must be > 0 seconds")
    if executor not in ("local", "ray"):
        raise InvalidArgument("executor", executor, "must be local or ray")
    if turns not in ("last", "each"):
        raise InvalidArgument("turns", turns, "must be last or each")
    if history not in ("transcript", "own"):
        raise InvalidArgument("history", history, "must be transcript or own")
    if history == "own" and turns != "each":
        raise UsageError("history='own' replays a conversation turn by turn: it goes with "
                         "turns='each'", argument="history")
    if executor == "ray" and turns == "each":
        raise UsageError("the Ray executor does not run conversations turn by turn yet; use "
                         "the local executor", argument="executor")
    if executor == "ray" and ray_address is not None:
        # before the run is recorded: a mistyped address is not a failed run to resume
        check_reachable(ray_address)
    if executor == "ray" and (retriever or turnstile):
        raise UsageError("the Ray executor does not take a retriever or an interleaved run "
                         "yet; use the local executor for those", argument="executor")
    if retriever and not template and not system:
        raise UsageError("a retriever needs a prompt template to put the retrieved contexts in; "
                         "the recorded prompt has its own context already", argument="template")
    masks = masks or RunMasks()
    if system and masks.providers is not None:
        raise UsageError("a privacy policy that masks what is sent to providers cannot run a "
                         "system: the system gets the golden row as it is and makes calls of "
                         "its own that agility does not see before they leave; drop "
                         "'providers' from the policy's 'where' or compare plain model calls",
                         argument="system")
    if executor == "ray" and system:
        raise UsageError("the Ray executor does not run systems yet; use the local executor",
                         argument="executor")
    if system and cache:
        raise UsageError("a system is not cached: its answers come from its own code; drop "
                         "the cache", argument="system")
    if cache and (masks.providers or masks.store):
        raise UsageError("a run under a privacy policy cannot use the response cache (it keeps "
                         "answers unmasked); run without cache", argument="cache")


def _finish_event(plan: RunPlan, status: RunStatus, summary: RunSummary | None) -> NewEvent:
    """The audit event of a run's end (what it did, when the run got that far)."""
    payload: dict[str, Any] = {"status": status, "model": plan.run.model_spec,
                               "dataset_hash": plan.run.dataset_hash}
    if summary is not None:
        payload.update(calls=summary.n_done, failed=summary.n_errors,
                       cost_usd=summary.total_cost_usd)
    return NewEvent(kind=f"run.{'finish' if status == 'finished' else status}",
                    subject=plan.run.name, payload=payload)


async def _heartbeat(store: Store, plan: RunPlan, lost: asyncio.Event) -> None:
    """Beat the run's lease until cancelled; set ``lost`` if another writer took it over.

    A beat the store refuses (its server restarting, a locked or full disk) is tried again at
    the next one: the lease lapses only after ``LEASE_STALE_AFTER_S`` without a beat, and a
    heartbeat that stopped at the first error would let a second ``--resume`` take over a run
    that is still paying for calls."""
    failing = False
    while True:
        await asyncio.sleep(LEASE_HEARTBEAT_S)
        try:
            held = store.renew_lease(plan.run.id, plan.lease_owner)
        except StoreError as exc:
            if not failing:
                log.warning("could not renew run %s's lease (%s); trying again every %.0f s",
                            plan.run.name, exc, LEASE_HEARTBEAT_S)
            failing = True
            continue
        failing = False
        if not held:
            lost.set()
            return


async def _execute(plan: RunPlan, ctx: CallContext, concurrency: int, warmup: int,
                   progress: bool, turnstile: Turnstile | None = None,
                   side: int = 0, own_history: bool = False,
                   timing: TimingSession | None = None) -> RunSummary:
    run_id = plan.run.id
    started = time.perf_counter()
    tally = Tally()
    if warmup and plan.items:
        await warm_up(ctx, plan.items[0][0], warmup)
    # a conversation replayed with its own answers runs its turns in order; any other item is
    # a conversation of one
    stored = {(r.example_id, r.repeat_index): r for r in ctx.store.results(run_id)} \
        if own_history and plan.skipped_on_resume else {}
    pending = iter(conversations(plan.items, stored) if own_history
                   else (Conversation(items=[item]) for item in plan.items))
    stop: list[tuple[str, BaseException | None]] = []
    stopped = asyncio.Event()
    lease_lost = asyncio.Event()
    writer = ResultWriter(ctx.store, run_id)

    def summary() -> RunSummary:
        gate = ctx.client.gate if ctx.client is not None else None
        return RunSummary(
            name=plan.run.name, run_id=run_id, n_examples=plan.n_examples, n_done=tally.done,
            n_errors=tally.errors, n_cached=tally.cached, total_cost_usd=tally.cost_usd,
            wall_time_s=time.perf_counter() - started, skipped_on_resume=plan.skipped_on_resume,
            n_empty=tally.empty, n_throttled=ctx.client.throttled if ctx.client else 0,
            concurrency=concurrency,
            lowest_concurrency=gate.lowest if gate is not None else concurrency,
            top_errors=tuple(tally.top_errors()))

    async def answer(chain: Conversation, example: Any, repeat_index: int) -> ResultRecord:
        sent, not_sent = chain.prepare(example) if own_history else (example, None)
        if sent is None:  # an earlier turn failed: this turn has no history to send
            return ResultRecord(example_id=example.id, repeat_index=repeat_index,
                                error=not_sent)
        if turnstile is not None:
            await turnstile.enter(side)
        if timing is not None:
            timing.sample(example.id, repeat_index)
        return await call_example(ctx, sent, repeat_index)

    async def worker(bar: RunProgress) -> None:
        for chain in pending:
            for example, repeat_index in chain.items:
                if stopped.is_set():
                    return
                result = await answer(chain, example, repeat_index)
                chain.record(example, result)
                await settle(bar, result)

    async def settle(bar: RunProgress, result: ResultRecord) -> None:
        """Store one result, count it, and stop the run when it says so."""
        result = mask_result(result, ctx.store_mask)
        await writer.save(result, call_event(plan.run.name, plan.run.model_spec, result,
                                             system=ctx.system is not None))
        tally.add(result)
        gate = ctx.client.gate if ctx.client is not None else None
        bar.advance(error=result.error is not None,
                    cost_usd=None if result.cached else result.cost_usd,
                    throttled=ctx.client.throttled if ctx.client is not None else 0,
                    concurrency=gate.current if gate is not None else None)
        reason = _stop_reason(result, tally)
        if reason is not None and not stopped.is_set():
            stop.append(reason)
            stopped.set()

    with RunProgress(len(plan.items), plan.run.name, enabled=progress) as bar:
        workers = [asyncio.create_task(worker(bar))
                   for _ in range(min(concurrency, len(plan.items)))]
        beat = asyncio.create_task(_heartbeat(ctx.store, plan, lease_lost))
        watch = [asyncio.create_task(stopped.wait()), asyncio.create_task(lease_lost.wait())]
        try:
            running = set(workers)
            while running and not (stopped.is_set() or lease_lost.is_set()):
                done, _ = await asyncio.wait(running | set(watch),
                                             return_when=asyncio.FIRST_COMPLETED)
                for finished in done & running:
                    finished.result()  # re-raise a worker's exception
                running -= done
        finally:
            tasks: list[asyncio.Task[Any]] = [*workers, beat, *watch]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*workers, beat, *watch, return_exceptions=True)
            await writer.drain()
    if lease_lost.is_set():
        raise RunStopped(plan.run.name, "another process took the run over (its lease lapsed)",
                         summary())
    if stop:
        reason, cause = stop[0]
        raise RunStopped(plan.run.name, reason, summary(), cause)
    return summary()


def _ray_masking(masks: RunMasks) -> dict[str, Any] | None:
    """The masker's settings for the Ray workers (None: nothing is masked).

    Raises:
        UsageError: masks that are not a policy's masker (plain callables cannot be
            rebuilt on a worker), or a pseudonymizing one (its numbering lives in one
            process's memory).
    """
    if masks.providers is None and masks.store is None:
        return None
    if masks.masker is None:
        raise UsageError("the Ray executor rebuilds a privacy policy's masker on each worker, "
                         "and these masks name none (RunMasks(masker=...)); run them on the "
                         "local executor", argument="executor")
    try:
        return dict(masks.masker.settings())
    except AgilityError as exc:
        raise UsageError(f"{exc} (the Ray executor's workers are other processes); or use "
                         f"the local executor", argument="executor") from exc


async def _execute_ray(plan: RunPlan, ctx: CallContext, store: Store, model: str,
                       provider_options: dict[str, Any] | None, rate_limit: RateLimit | None,
                       retry: RetryPolicy, timeout_s: float, concurrency: int,
                       address: str | None, masks: RunMasks,
                       masking: dict[str, Any] | None) -> RunSummary:
    """Run the plan's pending pairs on Ray while this process keeps the run's lease (each
    worker masks as this process would, with the same masker's settings)."""
    from agility._ray import shared_location
    from agility.runner._ray import RayShardSpec, run_on_ray

    started = time.perf_counter()
    spec = RayShardSpec(store=shared_location(store), run_id=plan.run.id, model=model,
                        provider_options=dict(provider_options or {}), template=ctx.template,
                        config=ctx.config, price=plan.price, rate_limit=rate_limit,
                        retry=retry, timeout_s=timeout_s, concurrency=concurrency,
                        extra_cost_usd=ctx.extra_cost_usd, cache=ctx.cache,
                        run_name=plan.run.name, actor=current_actor(), masking=masking,
                        mask_providers=masks.providers is not None,
                        mask_store=masks.store is not None)
    lease_lost = asyncio.Event()
    beat = asyncio.create_task(_heartbeat(store, plan, lease_lost))
    try:
        tally, throttled, record = await run_on_ray(spec, plan.items, store, address=address)
    finally:
        beat.cancel()
        await asyncio.gather(beat, return_exceptions=True)
    store.update_run(plan.run.id, meta={**plan.run.meta, "executor": record})
    summary = RunSummary(
        name=plan.run.name, run_id=plan.run.id, n_examples=plan.n_examples,
        n_done=tally.done, n_errors=tally.errors, n_cached=tally.cached,
        total_cost_usd=tally.cost_usd, wall_time_s=time.perf_counter() - started,
        skipped_on_resume=plan.skipped_on_resume, n_empty=tally.empty, n_throttled=throttled,
        concurrency=concurrency, lowest_concurrency=concurrency,
        top_errors=tuple(tally.top_errors()))
    if lease_lost.is_set():
        raise RunStopped(plan.run.name, "another process took the run over (its lease lapsed)",
                         summary)
    return summary


def _stop_reason(result: ResultRecord, tally: Tally) -> tuple[str, BaseException | None] | None:
    """Why the run must stop after ``result``, or None to go on."""
    if result.error is not None and result.error.startswith("ProviderAuthError"):
        return (f"the provider refused the credentials ({result.error}); no further call was "
                f"sent", None)
    if tally.errors == tally.done == FAIL_FAST_CALLS:
        message, count = tally.top_errors(1)[0]
        return (f"the first {FAIL_FAST_CALLS} calls all failed (most often, {count} times: "
                f"{message})", None)
    return None


async def arun_interleaved(jobs: Sequence[Mapping[str, Any]]) -> list[RunSummary]:
    """Run several :func:`arun_model` jobs at once, their calls starting in rotation (A B B A).

    Each job is the keyword arguments of one :func:`arun_model` call (``dataset``, ``model``,
    ``name``, ``store``, ...), or of one :func:`arun_system` call when it has ``system``.
    Every job runs to its end even when another fails; the first failure is raised after all
    have ended.

    Returns:
        The summaries, in the jobs' order.
    """
    turnstile = Turnstile(len(jobs), [str(job.get("name", f"side {i}"))
                                      for i, job in enumerate(jobs)])
    outcomes = await asyncio.gather(
        *((arun_system if "system" in job else arun_model)(
            **{**job, "turnstile": turnstile, "side": i}) for i, job in enumerate(jobs)),
        return_exceptions=True)
    for outcome in outcomes:
        if isinstance(outcome, BaseException):
            raise outcome
    return [o for o in outcomes if isinstance(o, RunSummary)]


def run_interleaved(jobs: Sequence[Mapping[str, Any]]) -> list[RunSummary]:
    """Synchronous :func:`arun_interleaved`; works inside a running event loop too."""
    return run_sync(arun_interleaved(jobs))


def run_model(dataset: Any, model: str = "openai/gpt-4o-mini", **kwargs: Any) -> RunSummary:
    """Synchronous :func:`arun_model` (same arguments). Works inside a running event loop too
    (for notebooks) by running the loop in a worker thread. Uses uvloop's event loop when
    uvloop is installed (less CPU per call; see ``benchmarks/README.md``)."""
    return run_sync(arun_model(dataset, model, **kwargs))


def run_system(dataset: Any, system: SystemSpec | Mapping[str, Any] | str,
               **kwargs: Any) -> RunSummary:
    """Synchronous :func:`arun_system` (same arguments); works inside a running event loop."""
    return run_sync(arun_system(dataset, system, **kwargs))
