"""Everything decided before the first call: dataset, template, provider, price, the run record.

On resume the stored run must match what is asked now (dataset hash, model, template, config),
and only the (example, repeat) pairs without a successful result are called again.
"""

from __future__ import annotations

import logging
import platform
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import agility
from agility.chat import GenerationConfig
from agility.errors import (
    InvalidArgument,
    PriceNotFound,
    RunSettingsChanged,
    UsageError,
    scrub_secrets,
)
from agility.pricing import Price, PriceMatch, PriceTable, load_price_table, match_price
from agility.prompts import PromptTemplate, load_template, prompt_format
from agility.providers import Provider, get_provider
from agility.store import (
    LEASE_STALE_AFTER_S,
    NewEvent,
    NewRun,
    RunRecord,
    Store,
    new_lease_owner,
    utc_now,
)

__all__ = ["RunPlan", "model_price", "prepare_run", "price_table", "public_options",
           "resolve_template"]

log = logging.getLogger(__name__)

_SECRET_WORDS = ("key", "secret", "token", "authorization", "password", "credential")


@dataclass
class RunPlan:
    """A run ready to execute: what to call, with what, recorded where."""

    run: RunRecord
    provider: Provider | None  # None: a system that names no model
    template: PromptTemplate | None
    price: Price | None
    items: list[tuple[Any, int]]  # (GoldenExample, repeat_index) still to call
    n_examples: int
    skipped_on_resume: int
    lease_owner: str


_RECORDED_NOT_PRICED = ("recorded answers: cost not measured (give an input and an output "
                        "price, and record input_tokens/output_tokens in the file)")


#: user prices: input, output, cache read, cache write (USD per 1M tokens; None: not given)
PriceOverrides = tuple[float | None, float | None, float | None, float | None]


def price_table(prices: PriceTable | str | Path | None) -> PriceTable:
    """The price table a run uses: ``prices`` itself, or a price file merged over the
    built-in table (None: the built-in table)."""
    table = prices if isinstance(prices, PriceTable) else load_price_table()
    if isinstance(prices, (str, Path)):
        table = table.merged(load_price_table(prices))
    return table


def _match(table: PriceTable, provider: Provider, overrides: PriceOverrides) -> PriceMatch:
    price_input, price_output, price_cached_input, price_cache_write = overrides
    return match_price(table, provider.name, provider.model, region=provider.price_region(),
                       local=provider.local, price_input=price_input, price_output=price_output,
                       price_cached_input=price_cached_input, price_cache_write=price_cache_write)


def model_price(model: str, *, provider_options: dict[str, Any] | None = None,
                prices: PriceTable | str | Path | None = None,
                price_input: float | None = None, price_output: float | None = None,
                price_cached_input: float | None = None,
                price_cache_write: float | None = None) -> PriceMatch:
    """The price a run of ``model`` would use, and where it came from.

    The same resolution :func:`agility.runner.run_model` applies: the region the requests are
    made from (a Bedrock ``region`` option, else boto3's configured one), the price table
    (``prices`` merged over the built-in one), a Bedrock inference profile priced as its base
    model, and the user's prices over it. Makes no call.

    Args:
        model: ``provider/model``.
        provider_options: the provider's options (``region``...).
        prices: a price table or a price file merged over the built-in table.
        price_input, price_output, price_cached_input, price_cache_write: user prices, USD
            per 1M tokens.

    Returns:
        The price and how it was found.

    Raises:
        PriceNotFound: no price applies (the message says how to give one).
        UsageError: a bad model spec or price; OptionsError: a bad provider option.
    """
    provider = get_provider(model, provider_options)
    overrides = (price_input, price_output, price_cached_input, price_cache_write)
    if provider.recorded and price_input is None and price_output is None:
        raise PriceNotFound(provider.name, provider.model, None, "recorded answers cost what "
                            "they cost when they were made, which the file does not say")
    return _match(price_table(prices), provider, overrides)


def _price_for(table: PriceTable, provider: Provider, overrides: PriceOverrides,
               ) -> tuple[Price | None, dict[str, Any]]:
    """The run's price and how the run record describes it (never a silent $0)."""
    if provider.recorded and overrides[0] is None and overrides[1] is None:
        # answers recorded elsewhere cost something we were not told: None, not 0
        return None, {"source": _RECORDED_NOT_PRICED}
    try:
        match = _match(table, provider, overrides)
    except PriceNotFound as missing:
        log.warning("%s Until then its cost is not measured.", missing)
        return None, {"source": f"not priced: {missing.reason} (see `agility prices show "
                                f"{provider.spec}`): cost not measured"}
    record = {**match.price.model_dump(), "priced_as": match.priced_as}
    if match.region:
        record["region"] = match.region
    return match.price, record


def _parallel_calls(provider: Provider, settings: dict[str, Any]) -> int | None:
    """Calls the model had in flight at most: the concurrency, capped by what the provider
    serves at once (a per-hour endpoint's throughput is measured with it)."""
    concurrency = settings.get("concurrency")
    if not isinstance(concurrency, int):
        return None
    return min(concurrency, provider.max_parallel_calls or concurrency)


def resolve_template(template: str | Path | PromptTemplate | None) -> PromptTemplate | None:
    """A PromptTemplate from a path or an instance (None stays None)."""
    if template is None or isinstance(template, PromptTemplate):
        return template
    return load_template(template)


def public_options(options: dict[str, Any]) -> dict[str, Any]:
    """Provider options safe to record: credentials dropped at any depth, strings scrubbed."""
    out: dict[str, Any] = {}
    for key, value in options.items():
        if any(word in str(key).lower() for word in _SECRET_WORDS):
            continue
        if isinstance(value, dict):
            value = public_options(value)
        elif isinstance(value, str):
            value = scrub_secrets(value)
        elif not isinstance(value, (int, float, bool, list, type(None))):
            continue  # transports, clients and other live objects are not configuration
        out[key] = value
    return out


def _load_dataset(dataset: Any) -> Any:
    if isinstance(dataset, (str, Path)):
        from agility.dataset import load_dataset

        return load_dataset(dataset, verify=True)
    return dataset


def _select(dataset: Any, splits: Sequence[str] | None, rows: int | None,
            sample_seed: int, example_ids: Sequence[str] | None = None) -> list[Any]:
    if splits is None:
        chosen = list(dataset.examples)
    else:
        chosen = list(dataset.select(splits=list(splits), allow_holdout="holdout" in splits))
    if example_ids is not None:
        wanted = set(example_ids)
        unknown = sorted(wanted - {ex.id for ex in chosen})
        if unknown:
            where = "" if splits is None else f" in split(s) {', '.join(splits)}"
            raise UsageError(f"no example{'s' if len(unknown) > 1 else ''} "
                             f"{', '.join(repr(u) for u in unknown[:10])}{where} of the "
                             f"dataset", argument="example_ids")
        chosen = [ex for ex in chosen if ex.id in wanted]
    if rows is None:
        return chosen
    from agility.dataset import sample_examples

    # a larger sample with the same seed holds the smaller one: a run can grow with --resume
    return sample_examples(chosen, rows, seed=sample_seed)


def _check_resume(run: RunRecord, wanted: NewRun) -> None:
    for label, attr in (("dataset hash", "dataset_hash"), ("model", "model_spec"),
                        ("prompt template hash", "template_hash"), ("generation config", "config")):
        before, now = getattr(run, attr), getattr(wanted, attr)
        if before != now:
            raise RunSettingsChanged(run.name, label, before, now)
    for key in ("system", "turns", "history"):  # a conversation's history changes answers
        if run.meta.get(key) != wanted.meta.get(key):
            raise RunSettingsChanged(run.name, key, run.meta.get(key), wanted.meta.get(key))


def prepare_run(
    store: Store, dataset: Any, model: str | None, *, name: str,
    provider_options: dict[str, Any] | None, template: str | Path | PromptTemplate | None,
    config: GenerationConfig | None, repeat: int, resume: bool,
    splits: Sequence[str] | None, price_input: float | None, price_output: float | None,
    prices: PriceTable | str | Path | None, extra_cost_usd: float, settings: dict[str, Any],
    rows: int | None = None, sample_seed: int = 0,
    price_cached_input: float | None = None, price_cache_write: float | None = None,
    system: dict[str, Any] | None = None,
    example_ids: Sequence[str] | None = None,
    store_mask: Callable[[str], str] | None = None,
    turns: str = "last",
) -> RunPlan:
    """Load and check everything, then create the run record (or reopen it on resume).

    ``system`` describes the system under test (its spec and what to record), when the run
    answers with a system rather than the plain model call; ``model`` is then the model the
    system calls, or None. ``store_mask`` masks the text of the golden rows recorded in the
    store (a privacy policy). ``turns="each"`` runs the selected rows turn by turn: the run's
    dataset is :meth:`agility.dataset.Dataset.by_turn` (its hash, its rows in the store).

    Raises:
        UsageError: bad arguments, or a resume that does not match the stored run.
        DatasetError: the dataset is invalid or a frozen dataset changed.
        ConfigError: the template or price file is invalid.
    """
    if not name or not name.strip():
        raise UsageError("a run needs a name (used to resume it and to compare it later)",
                         argument="name")
    if repeat < 1:
        raise InvalidArgument("repeat", repeat, "must be at least 1")
    if extra_cost_usd < 0:
        raise InvalidArgument("extra_cost_usd", extra_cost_usd, "must be >= 0 USD per query")
    ds = _load_dataset(dataset)
    examples = _select(ds, splits, rows, sample_seed, example_ids)
    if turns == "each":  # conversations were picked above; each is now its turns
        from agility.dataset import expand_turns

        ds = ds.by_turn()
        examples = expand_turns(examples)
    tmpl = resolve_template(template)
    if tmpl is not None and examples:
        tmpl.render(examples[0])  # a template error stops us before the run is recorded
        if tmpl.format == "text":
            for example in examples:
                prompt_format(tmpl, example)  # a row with tools cannot take a text prompt
    provider = get_provider(model, provider_options) if model is not None else None
    if provider is not None:
        provider.check_credentials()  # a missing key is reported before anything is recorded
    if provider is not None and tmpl is not None and tmpl.format == "text" \
            and not provider.supports_text:
        raise UsageError(f"{tmpl.where}: format: text needs a completions API, which provider "
                         f"{provider.name} does not have; openai/ endpoints (vLLM, the "
                         f"llama.cpp server, Ollama) and llamacpp/ do", argument="template")
    table = price_table(prices)
    price, prices_record = (None, {"source": "the system names no model: its spans carry "
                                             "their own costs"}) if provider is None else \
        _price_for(table, provider,
                   (price_input, price_output, price_cached_input, price_cache_write))
    model_spec = provider.spec if provider is not None else ""
    if system is not None:
        model_spec = f"{system['spec']} [{model_spec}]" if model_spec else str(system["spec"])
        settings = {**settings, "system": system}
    wanted = NewRun(
        name=name, dataset_hash=ds.hash, dataset_path=str(getattr(ds, "path", "") or "") or None,
        model_spec=model_spec,
        provider_options=public_options(provider.public_options()) if provider else {},
        config=config.model_dump(mode="json", exclude_unset=True) if config else {},
        template_hash=tmpl.hash if tmpl else None, price_table_version=table.version,
        prices={**prices_record, "extra_cost_usd": extra_cost_usd},
        tool_version=agility.__version__, repeat=repeat, started_at=utc_now(),
        meta={**settings, "parallel_calls": None if provider is None  # a system's own calls
              else _parallel_calls(provider, settings),
              "splits": list(splits) if splits else None,
              "rows": rows, "sample_seed": sample_seed if rows is not None else None,
              "n_examples": len(examples), "python": platform.python_version(),
              "template": {"name": tmpl.name, "version": tmpl.version,
                           "path": str(tmpl.path) if tmpl.path else None} if tmpl else None},
    )
    ds.save_to_store(store, store_mask)
    existing = store.get_run(name) if resume else None
    owner = new_lease_owner()
    if existing is not None:
        _check_resume(existing, wanted)
        # one writer per run: a second `--resume` while the first lives would pay twice
        store.take_lease(existing.id, owner, LEASE_STALE_AFTER_S)
        done = store.finished_keys(existing.id)
        resumes = [*existing.meta.get("resumed_at", []), utc_now()]
        meta = {**existing.meta, "resumed_at": resumes}
        store.update_run(existing.id, status="running", finished_at=None, meta=meta,
                         repeat=max(existing.repeat, repeat))
        run = existing.model_copy(update={"status": "running", "meta": meta})
    else:
        run, done = store.create_run(wanted), set()
        store.take_lease(run.id, owner, LEASE_STALE_AFTER_S)
    wanted_keys = [(ex, r) for ex in examples for r in range(repeat)]
    items = [(ex, r) for ex, r in wanted_keys if (ex.id, r) not in done]
    store.log_event(NewEvent(
        kind="run.resume" if existing is not None else "run.start", subject=run.name,
        payload={"model": run.model_spec, "dataset_hash": run.dataset_hash,
                 "template_hash": run.template_hash, "calls_to_make": len(items)}))
    return RunPlan(run=run, provider=provider, template=tmpl, price=price, items=items,
                   n_examples=len(examples), skipped_on_resume=len(wanted_keys) - len(items),
                   lease_owner=owner)
