"""The cost model of a migration: each side's cost all in, per month, one-off, and the ROI.

Per query, a side costs what its calls cost (tokens at their prices, plus the pipeline's own
per-query extras such as retrieval, as recorded per result), plus the plan's per-query items
(fixed, or per recorded span), plus its per-hour items spread over the queries an endpoint
serves in an hour. Per month: that times the traffic, plus the per-month items. Once: the
one-off items (and ``migration_cost_usd``).

**Throughput** (for per-hour items) is measured from the run by Little's law: an endpoint kept
busy with ``P`` calls in flight, each taking ``W`` seconds on average, serves ``P x 3600 / W``
queries an hour. ``P`` is the run's concurrency as the runner recorded it (``parallel_calls``:
1 for a model that takes calls one at a time, such as the in-process llama.cpp model), ``W``
the mean latency of the run's answered calls. So a per-hour item costs
``usd_per_hour x W / (3600 x P)`` per query, and each call's share is
``usd_per_hour x latency / (3600 x P)``.

**Intervals** come from a percentile bootstrap of each side's mean cost per query (each side
resampled on its own: the calls of two runs are not paired), seeded. Every point figure is
exact decimal arithmetic, each side's cost per query rounded to
:data:`~agility.compare._money.MONEY_PRECISION_USD` before the two are compared (see
``_cost.py``): equal costs give a zero difference, never float noise.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

import numpy as np

from agility._format import format_rate, format_usd
from agility.compare._cost_items import CostItems, OneOffItem
from agility.compare._money import DAYS_PER_MONTH, money, per_query
from agility.compare._roi_models import (
    CostLine,
    RoiAnalysis,
    RoiStatus,
    SensitivityCell,
    SideCosts,
    Throughput,
    TokenTotals,
)
from agility.compare._stats import bootstrap_means
from agility.store import ResultRecord

__all__ = ["PRICE_FACTORS", "TRAFFIC_FACTORS", "ReviewCount", "analyse_roi"]

#: the traffic (x the given traffic) and target-price factors of the sensitivity grid
TRAFFIC_FACTORS = (0.5, 1.0, 2.0, 10.0)
PRICE_FACTORS = (0.8, 1.0, 1.2)
_MONTH = Decimal(repr(DAYS_PER_MONTH))
_SECONDS_PER_HOUR = Decimal(3600)


@dataclass(frozen=True)
class ReviewCount:
    """How many SME reviews the review items price, and where the number comes from."""

    reviews: int
    basis: str


_d, _q = money, per_query


def _mean(values: Sequence[Decimal]) -> Decimal:
    return sum(values, Decimal(0)) / len(values)


def _usd(value: Decimal | float) -> str:
    return format_usd(float(value))


@dataclass
class _Side:
    """One side's per-query pieces while they are being added up."""

    name: str
    results: list[ResultRecord]  # priced calls: answered, not cached, cost recorded
    parallel_calls: int | None
    lines: list[CostLine]
    per_call: np.ndarray  # each priced call's cost all in (floats, for the bootstrap)
    measured: bool = True
    #: mean cost per query of the model's own prices (its tokens, the hours of its endpoint):
    #: the part the price sensitivity scales
    model_part: Decimal = Decimal(0)
    throughput: Throughput | None = None
    #: the per-hour items' share per query, and bootstrap replicates of it (the throughput's
    #: uncertainty); None without a priced per-hour item
    hourly: Decimal | None = None
    hourly_replicates: np.ndarray | None = None


def _tokens(results: Sequence[ResultRecord]) -> TokenTotals:
    calls = [r for r in results if r.error is None and not r.cached]

    def mean(values: list[int]) -> float | None:
        return sum(values) / len(values) if values else None

    reads = [r for r in calls if r.cached_input_tokens is not None and r.input_tokens]
    writes = [r.cache_write_input_tokens for r in calls if r.cache_write_input_tokens is not None]
    reasoning = [r.reasoning_tokens for r in calls if r.reasoning_tokens is not None]
    share = None
    if reads:
        share = sum(r.cached_input_tokens or 0 for r in reads) / sum(r.input_tokens or 0
                                                                     for r in reads)
    return TokenTotals(
        calls=len(calls),
        input_tokens_mean=mean([r.input_tokens for r in calls if r.input_tokens is not None]),
        output_tokens_mean=mean([r.output_tokens for r in calls if r.output_tokens is not None]),
        cached_input_share=share, cache_reads_reported=len(reads),
        cache_write_tokens_mean=mean(writes), cache_writes_reported=len(writes),
        reasoning_tokens_mean=mean(reasoning), reasoning_reported=len(reasoning),
        estimated=sum(1 for r in calls if r.tokens_estimated))


def _measured_lines(side: str, results: Sequence[ResultRecord], parallel: int | None) -> _Side:
    answered = [r for r in results if r.error is None and not r.cached]
    priced = [r for r in answered if r.cost_usd is not None]
    unpriced = len(answered) - len(priced)
    out = _Side(side, priced, parallel, [], np.asarray([r.cost_usd for r in priced], float))
    if not priced:
        out.measured = False
        out.lines.append(CostLine(name="model tokens", kind="tokens", measured=False,
                                  basis=f"not measured: none of the {len(answered)} answered "
                                        f"calls has a recorded cost (the model is not priced)"))
        return out
    totals = [_d(r.cost_usd or 0.0) for r in priced]
    extras = [_d(r.extra_cost_usd or 0.0) for r in priced]
    mean_total, mean_extras = _q(_mean(totals)), _q(_mean(extras))
    out.model_part = mean_total - mean_extras
    left_out = f"; {unpriced} answered calls unpriced, left out" if unpriced else ""
    out.lines.append(CostLine(name="model tokens", kind="tokens",
                              per_query_usd=float(out.model_part),
                              basis=f"measured: mean of {len(priced)} priced calls{left_out}"))
    if any(r.extra_cost_usd is not None for r in priced):
        out.lines.append(CostLine(name="pipeline extras (retrieval)", kind="pipeline_extras",
                                  per_query_usd=float(mean_extras),
                                  basis=f"measured: recorded per call, mean of {len(priced)}"))
    return out


def _span_count(result: ResultRecord, span: str) -> int:
    return sum(1 for s in result.spans if span in (s.name, s.kind))


def _add_per_query(out: _Side, items: CostItems) -> None:
    for item in items.per_query:
        if not item.applies_to(out.name):
            continue
        if item.usd_per_query is not None:
            usd = _d(item.usd_per_query)
            out.lines.append(CostLine(name=item.name, kind="per_query", per_query_usd=float(usd),
                                      basis=f"plan: {format_rate(usd)} per query"))
            out.per_call = out.per_call + float(usd)
            continue
        span, rate = item.span or "", _d(item.usd_per_span or 0.0)
        if not out.results or not any(r.spans for r in out.results):
            out.measured = False
            out.lines.append(CostLine(name=item.name, kind="per_span", measured=False,
                                      basis=f"not measured: the {out.name} run recorded no "
                                            f"spans to count '{span}' in"))
            continue
        counts = [_span_count(r, span) for r in out.results]
        per_query = _q(rate * sum(counts) / len(counts))
        out.lines.append(CostLine(
            name=item.name, kind="per_span", per_query_usd=float(per_query),
            basis=f"plan: {format_rate(rate)} per '{span}' span x {sum(counts) / len(counts):.3g} "
                  f"spans per query (measured over {len(counts)} calls)"))
        out.per_call = out.per_call + float(rate) * np.asarray(counts, float)


def _add_per_hour(out: _Side, items: CostItems, confidence: float, n_resamples: int,
                  rng: np.random.Generator) -> None:
    hourly = [item for item in items.per_hour if item.applies_to(out.name)]
    if not hourly:
        return
    latencies = [r.latency_ms for r in out.results]
    why = None
    if not out.results:
        why = "no priced call to time"
    elif any(v is None or v <= 0 for v in latencies):
        why = (f"{sum(1 for v in latencies if v is None or v <= 0)} of {len(latencies)} calls "
               f"carry no latency (replayed answers are not timed)")
    elif not out.parallel_calls:
        why = "the run did not record its concurrency"
    if why is not None:
        out.measured = False
        out.lines += [CostLine(name=item.name, kind="per_hour", measured=False,
                               basis=f"not measured: the throughput needs timed calls; {why}")
                      for item in hourly]
        return
    seconds = np.asarray(latencies, float) / 1000.0
    parallel = int(out.parallel_calls or 1)
    mean_s = _mean([_d(v) for v in seconds.tolist()])
    per_hour = Decimal(parallel) * _SECONDS_PER_HOUR / mean_s
    replicates = bootstrap_means(seconds, n_resamples, rng)
    tail = 100.0 * (1.0 - confidence) / 2
    slow, fast = float(np.percentile(replicates, 100 - tail)), float(np.percentile(replicates,
                                                                                   tail))
    out.throughput = Throughput(parallel_calls=parallel, mean_call_s=float(mean_s),
                                n=len(seconds), per_hour=float(per_hour),
                                per_hour_low=parallel * 3600.0 / slow,
                                per_hour_high=parallel * 3600.0 / fast)
    rates = sum((_d(item.usd_per_hour) for item in hourly), Decimal(0))
    out.hourly = Decimal(0)
    # each replicate of the mean latency gives one of the hourly cost per query
    if rates > 0:  # a free endpoint's share does not move with its throughput
        out.hourly_replicates = float(rates) * replicates / (3600.0 * parallel)
    for item in hourly:
        rate = _d(item.usd_per_hour)
        per_query = _q(rate / per_hour)
        out.hourly += per_query
        out.model_part += per_query
        out.lines.append(CostLine(
            name=item.name, kind="per_hour", per_query_usd=float(per_query),
            basis=f"plan: {format_rate(rate)} per hour / {float(per_hour):,.0f} queries per hour "
                  f"(measured: {parallel} call{'s' if parallel > 1 else ''} in flight / "
                  f"{float(mean_s):.3g} s mean latency over {len(seconds)} calls)"))
        out.per_call = out.per_call + float(rate) * seconds / (3600.0 * parallel)


def _one_off_line(item: OneOffItem, reviews: ReviewCount | None) -> CostLine:
    if item.usd is not None:
        amount, basis = _d(item.usd), "plan: a fixed amount"
    elif item.days is not None:
        amount = _d(item.days) * _d(item.usd_per_day or 0.0)
        basis = f"plan: {item.days:g} days x {format_rate(item.usd_per_day or 0.0)} per day"
    elif not item.is_review:
        amount = _d(item.hours or 0.0) * _d(item.usd_per_hour or 0.0)
        basis = f"plan: {item.hours:g} hours x {format_rate(item.usd_per_hour or 0.0)} per hour"
    else:
        count = ReviewCount(item.reviews, "given in the plan") if item.reviews is not None \
            else reviews
        if count is None:
            return CostLine(name=item.name, kind="one_off", measured=False,
                            basis="not measured: no review queue or review sample to count")
        hours = Decimal(count.reviews) * _d(item.minutes_per_review or 0.0) / 60
        amount = hours * _d(item.usd_per_hour or 0.0)
        basis = (f"{count.reviews} SME reviews ({count.basis}) x {item.minutes_per_review:g} "
                 f"min = {float(hours):.3g} hours x {format_rate(item.usd_per_hour or 0.0)} per hour")
    return CostLine(name=item.name, kind="one_off", one_off_usd=float(amount), basis=basis)


def _bootstrap_interval(replicates: np.ndarray, confidence: float) -> tuple[float, float]:
    tail = 100.0 * (1.0 - confidence) / 2
    return (float(_q(_d(float(np.percentile(replicates, tail))))),
            float(_q(_d(float(np.percentile(replicates, 100 - tail))))))


def _payback(one_off: Decimal, savings: Decimal) -> tuple[float | None, RoiStatus]:
    """Days until the monthly ``savings`` have paid ``one_off`` back (None: never).

    A target that costs more each month never pays back, whatever the one-off costs (it
    falls further behind every day). Otherwise nothing to pay back is 0 days.
    """
    if savings < 0:
        return None, "never"
    if one_off <= 0:
        return 0.0, "computed"
    if savings == 0:
        return None, "never"
    return float(one_off * _MONTH / savings), "computed"


def _net(savings: Decimal, one_off: Decimal, horizon: Decimal) -> Decimal:
    return savings * horizon / _MONTH - one_off


def _traffic_texts(d: Decimal, fixed: Decimal, one_off: Decimal, horizon: Decimal
                   ) -> tuple[float | None, str, float | None, str]:
    """Break-even traffic (equal monthly totals), and the traffic that is neutral or positive
    within the horizon; ``d`` is the saving per query, ``fixed`` the source's fixed monthly
    costs minus the target's."""
    days = f"{float(horizon):g} days"
    if d > 0:
        if fixed >= 0:
            even, even_text = 0.0, "the target's monthly total is the lower at any traffic"
        else:
            even = float(-fixed / d)
            even_text = f"the target's monthly total is the lower above {even:,.0f} queries/month"
    elif d < 0:
        if fixed > 0:
            even = float(fixed / -d)
            even_text = f"the target's monthly total is the lower below {even:,.0f} queries/month"
        else:
            even, even_text = None, "the target's monthly total is the higher at any traffic"
    else:
        even = None
        even_text = ("both cost the same per query; the monthly totals differ by the fixed "
                     f"costs alone ({_usd(-fixed)} a month for the target)")
    need = one_off * _MONTH / horizon - fixed  # monthly per-query savings x traffic needed
    if d == 0:
        ok = need <= 0
        return even, even_text, (0.0 if ok else None), (
            f"neutral or positive within {days} at any traffic" if ok
            else f"no traffic makes it neutral or positive within {days}")
    bound = need / d
    if d > 0:
        if bound <= 0:
            return even, even_text, 0.0, f"neutral or positive within {days} at any traffic"
        return even, even_text, float(bound), (f"neutral or positive within {days} from "
                                               f"{float(bound):,.0f} queries/month")
    if bound < 0:
        return even, even_text, None, f"no traffic makes it neutral or positive within {days}"
    return even, even_text, float(bound), (f"neutral or positive within {days} only below "
                                           f"{float(bound):,.0f} queries/month")


def analyse_roi(
    source: Sequence[ResultRecord],
    target: Sequence[ResultRecord],
    *,
    items: CostItems | None = None,
    traffic_per_month: int | None = None,
    migration_cost_usd: float | None = None,
    parallel_calls: tuple[int | None, int | None] = (None, None),
    reviews: ReviewCount | None = None,
    horizon_days: float = 30.0,
    confidence: float = 0.95,
    n_resamples: int = 10_000,
    seed: int = 0,
) -> RoiAnalysis:
    """Both sides' costs all in, and the ROI of the move (see the module docstring).

    Args:
        source: the source run's results.
        target: the target run's results.
        items: the plan's cost items.
        traffic_per_month: queries per month (monthly figures, payback, sensitivity).
        migration_cost_usd: a one-off cost of the target (beside the items).
        parallel_calls: each run's calls in flight (its concurrency), for the throughput.
        reviews: the SME reviews an SME review item prices, and where the count comes from.
        horizon_days: the ROI horizon ("neutral or positive within N days").
        confidence: the intervals' coverage.
        n_resamples: bootstrap resamples of each side's mean cost per query.
        seed: the bootstrap's seed.

    Returns:
        The analysis; figures that could not be measured are None with the reason in the
        cost lines.
    """
    items = items or CostItems()
    rng = np.random.default_rng(seed)
    sides = []
    for name, results, parallel in (("source", source, parallel_calls[0]),
                                    ("target", target, parallel_calls[1])):
        side = _measured_lines(name, results, parallel)
        _add_per_query(side, items)
        _add_per_hour(side, items, confidence, n_resamples, rng)
        sides.append(side)
    traffic = traffic_per_month
    horizon = _d(horizon_days)
    totals: list[SideCosts] = []
    per_query: list[Decimal | None] = []
    replicates: list[np.ndarray | None] = []
    for side, results in zip(sides, (source, target), strict=True):
        fixed = sum((_d(i.usd_per_month) for i in items.per_month if i.applies_to(side.name)),
                    Decimal(0))
        lines = list(side.lines)
        lines += [CostLine(name=i.name, kind="per_month", monthly_usd=i.usd_per_month,
                           basis="plan: a monthly bill") for i in items.per_month
                  if i.applies_to(side.name)]
        one_off = [_one_off_line(i, reviews) for i in items.one_off if i.applies_to(side.name)]
        if side.name == "target" and migration_cost_usd is not None:
            basis = "given as migration_cost_usd"
            if one_off:  # both are added up: say so, a lump sum often holds the items already
                named = ", ".join(line.name for line in one_off)
                basis += f"; added to the plan's one-off items ({named}): it must not hold them"
            one_off.append(CostLine(name="migration cost", kind="one_off",
                                    one_off_usd=migration_cost_usd, basis=basis))
        lines += one_off
        if any(not line.measured for line in one_off):
            side.measured = False
        pq = _q(sum((_d(line.per_query_usd) for line in side.lines
                     if line.per_query_usd is not None), Decimal(0))) if side.measured else None
        reps = bootstrap_means(side.per_call, n_resamples, rng) if pq is not None else None
        if traffic is not None:
            for line in lines:
                if line.per_query_usd is not None:
                    line.monthly_usd = float(_d(line.per_query_usd) * traffic)
        total = SideCosts(
            lines=lines, per_query_usd=None if pq is None else float(pq),
            per_query_interval=None if reps is None else _bootstrap_interval(reps, confidence),
            n=len(side.results), fixed_monthly_usd=float(fixed),
            one_off_usd=float(sum((_d(line.one_off_usd) for line in one_off
                                   if line.one_off_usd is not None), Decimal(0))),
            throughput=side.throughput, tokens=_tokens(results),
            hourly_per_query_usd=None if side.hourly is None or not side.measured
            else float(side.hourly))
        if pq is not None and traffic is not None:
            total.monthly_usd = float(pq * traffic + fixed)
            if total.per_query_interval is not None:
                low, high = total.per_query_interval
                total.monthly_interval = (float(_d(low) * traffic + fixed),
                                          float(_d(high) * traffic + fixed))
        totals.append(total)
        per_query.append(pq)
        replicates.append(reps)
    out = RoiAnalysis(horizon_days=horizon_days, traffic_per_month=traffic,
                      confidence=confidence, has_items=bool(items), source=totals[0],
                      target=totals[1])
    one_off_net = _d(out.target.one_off_usd) - _d(out.source.one_off_usd)
    out.one_off_usd = float(one_off_net)
    requested = bool(items) or migration_cost_usd is not None
    src_pq, tgt_pq = per_query
    if src_pq is None or tgt_pq is None:
        out.payback_status = "cost_not_measured" if requested or traffic else "not_requested"
        return out
    d = src_pq - tgt_pq  # the saving per query, exact
    out.diff_per_query_usd = float(-d)
    out.diff_per_query_pct = float(100 * -d / src_pq) if src_pq else None
    src_reps, tgt_reps = replicates
    assert src_reps is not None and tgt_reps is not None
    out.savings_per_query_interval = _bootstrap_interval(src_reps - tgt_reps, confidence)
    _throughput_interval(out, sides, (src_pq, tgt_pq), confidence)
    if traffic is None:
        out.payback_status = "needs_traffic" if requested else "not_requested"
        return out
    fixed = _d(out.source.fixed_monthly_usd) - _d(out.target.fixed_monthly_usd)
    savings = d * traffic + fixed
    save_low, save_high = (_d(v) * traffic + fixed for v in out.savings_per_query_interval)
    out.monthly_savings_usd = float(savings)
    out.monthly_savings_interval = (float(save_low), float(save_high))
    out.net_at_horizon_usd = float(_net(savings, one_off_net, horizon))
    out.net_at_horizon_interval = (float(_net(save_low, one_off_net, horizon)),
                                   float(_net(save_high, one_off_net, horizon)))
    (out.break_even_traffic_per_month, out.break_even, out.traffic_for_horizon_per_month,
     out.traffic_for_horizon) = _traffic_texts(d, fixed, one_off_net, horizon)
    if requested:
        out.payback_days, out.payback_status = _payback(one_off_net, savings)
        # the fastest payback comes with the largest savings; None at an end means never
        out.payback_interval = (_payback(one_off_net, save_high)[0], _payback(one_off_net, save_low)[0])
    out.sensitivity = _sensitivity(d, fixed, one_off_net, traffic, sides[1].model_part, horizon)
    return out


def _throughput_interval(out: RoiAnalysis, sides: Sequence[_Side],
                         per_query: tuple[Decimal, Decimal], confidence: float) -> None:
    """The interval of the target-vs-source difference that the measured throughputs allow.

    A per-hour item's share of a query is ``usd_per_hour x mean latency / (3600 x P)``: it
    is as uncertain as the mean latency. Each side's other parts are exact; its hourly part
    takes the bootstrap replicates of its own mean latency (the sides resampled apart). The
    relative interval is read from the replicates' ratio, so each bound is a difference that
    some pair of throughputs in the intervals would give.
    """
    out.throughput_sides = [side.name for side in sides if side.hourly_replicates is not None]
    if not out.throughput_sides:
        return
    totals = []
    for side, pq in zip(sides, per_query, strict=True):
        if side.hourly_replicates is None or side.hourly is None:
            totals.append(np.full(1, float(pq)))
        else:
            totals.append(float(pq - side.hourly) + side.hourly_replicates)
    size = max(len(t) for t in totals)
    src, tgt = (np.resize(t, size) for t in totals)
    tail = 100.0 * (1.0 - confidence) / 2
    diff = tgt - src
    out.diff_per_query_interval = (float(np.percentile(diff, tail)),
                                   float(np.percentile(diff, 100 - tail)))
    if np.all(src > 0):
        pct = 100.0 * (tgt / src - 1.0)
        out.diff_per_query_pct_interval = (float(np.percentile(pct, tail)),
                                           float(np.percentile(pct, 100 - tail)))


def _sensitivity(d: Decimal, fixed: Decimal, one_off: Decimal, traffic: int,
                 target_model_part: Decimal, horizon: Decimal) -> list[SensitivityCell]:
    cells = []
    for traffic_factor in TRAFFIC_FACTORS:
        for price_factor in PRICE_FACTORS:
            # the target model's prices (tokens, endpoint hours) times price_factor; the
            # rest (retrieval, other items, the source) unchanged
            saving = d - target_model_part * (_d(price_factor) - 1)
            t = _d(traffic_factor) * traffic
            savings = saving * t + fixed
            days, status = _payback(one_off, savings)
            net = _net(savings, one_off, horizon)
            cells.append(SensitivityCell(
                traffic_factor=traffic_factor, price_factor=price_factor,
                traffic_per_month=float(t), monthly_savings_usd=float(savings),
                payback_days=days, payback_status=status, net_at_horizon_usd=float(net),
                within_horizon=net >= 0))
    return cells
