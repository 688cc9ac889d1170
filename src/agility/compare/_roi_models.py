"""The typed cost model of a comparison: each side's cost lines and totals, the ROI of the move,
its sensitivity, and the recommendation (logic in ``_roi.py`` and ``_advice.py``).

Money is in USD; a figure that was not measured is ``None``, never 0. Intervals are
``(low, high)`` at the comparison's confidence.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "CostLine",
    "Recommendation",
    "RoiAnalysis",
    "SensitivityCell",
    "SideCosts",
    "Throughput",
    "TimingConditions",
    "TimingSide",
    "TokenTotals",
]

CostKind = Literal["tokens", "pipeline_extras", "per_query", "per_span", "per_hour",
                   "per_month", "one_off"]
RoiStatus = Literal["computed", "never", "cost_not_measured", "needs_traffic", "not_requested"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CostLine(_Model):
    """One line of a side's cost breakdown.

    Per-query kinds (``tokens``, ``pipeline_extras``, ``per_query``, ``per_span``,
    ``per_hour``) set ``per_query_usd`` and, with a traffic, ``monthly_usd``; ``per_month``
    sets ``monthly_usd``; ``one_off`` sets ``one_off_usd``. ``basis`` says how the figure was
    obtained (measured, or from the plan), in words; ``measured`` is False when it could not
    be (its figures are then None and ``basis`` says why).
    """

    name: str
    kind: CostKind
    per_query_usd: float | None = None
    monthly_usd: float | None = None
    one_off_usd: float | None = None
    basis: str = ""
    measured: bool = True


class Throughput(_Model):
    """Queries per hour one endpoint served at the run's concurrency (Little's law).

    ``parallel_calls`` is the run's concurrency (1 for a model that takes calls one at a
    time); ``mean_call_s`` the mean time a call took (its measured latency) over ``n`` calls;
    ``per_hour = parallel_calls x 3600 / mean_call_s``, with the interval from the bootstrap
    interval of the mean.
    """

    parallel_calls: int
    mean_call_s: float
    n: int
    per_hour: float
    per_hour_low: float | None = None
    per_hour_high: float | None = None


class TimingSide(_Model):
    """When and under what load one run's compared calls were timed (None: not recorded).

    ``timed_calls`` counts the answered, timed calls; ``recorded_calls`` those a timing session
    of the run covers (a call made before agility recorded timing, or by an execution killed
    before it saved its session, has none); ``interleaved_calls`` those made while the run's
    calls started in rotation with the other run's (see :mod:`agility.runner._timing`). ``load_1m_mean`` is the machine's 1-minute load average
    over the sessions that made them, on ``cpus`` CPUs.
    """

    run: str
    timed_calls: int = 0
    interleaved_calls: int = 0
    first_at: str | None = None
    last_at: str | None = None
    load_1m_mean: float | None = None
    cpus: int | None = None
    recorded_calls: int = 0
    recorded: bool = False  # the run carries a timing record for every one of these calls


class TimingConditions(_Model):
    """Whether both sides' calls were timed together, so load drift hit both alike.

    ``interleaved`` holds when every timed call of both sides was made while the two runs'
    calls started in rotation (agility migrate, the port's holdout scoring). A throughput
    measured by two runs one after the other carries the load of two different windows:
    a per-hour cost compared across them is not a difference between the models.
    """

    interleaved: bool
    source: TimingSide
    target: TimingSide
    text: str


class TokenTotals(_Model):
    """Tokens per answered call as the provider reported them (None: not reported).

    ``calls`` counts the answered, non-cached calls; ``*_reported`` how many of them carried
    that count. ``cached_input_share`` is the part of the input read from the prompt cache,
    over the calls that reported it.
    """

    calls: int
    input_tokens_mean: float | None = None
    output_tokens_mean: float | None = None
    cached_input_share: float | None = None
    cache_reads_reported: int = 0
    cache_write_tokens_mean: float | None = None
    cache_writes_reported: int = 0
    reasoning_tokens_mean: float | None = None
    reasoning_reported: int = 0
    estimated: int = 0  # calls whose tokens were estimated (the provider reported none)


class SideCosts(_Model):
    """One side's cost: the breakdown, the cost of a query all in, the month, the one-offs.

    ``per_query_usd`` adds every per-query line (None when one of them was not measured);
    ``monthly_usd`` is ``per_query_usd x traffic + fixed_monthly_usd`` (None without traffic).
    """

    lines: list[CostLine] = Field(default_factory=list)
    per_query_usd: float | None = None
    per_query_interval: tuple[float, float] | None = None
    n: int = 0  # priced calls the per-query figures are means over
    fixed_monthly_usd: float = 0.0
    monthly_usd: float | None = None
    monthly_interval: tuple[float, float] | None = None
    one_off_usd: float = 0.0
    throughput: Throughput | None = None
    #: the per-hour items' share of ``per_query_usd`` (spread over the measured throughput);
    #: None when no per-hour item is priced on this side
    hourly_per_query_usd: float | None = None
    tokens: TokenTotals | None = None


class SensitivityCell(_Model):
    """The ROI at another traffic and another target price (factors of the measured ones)."""

    traffic_factor: float
    price_factor: float  # applied to the target model's prices (tokens, endpoint hours)
    traffic_per_month: float
    monthly_savings_usd: float
    payback_days: float | None
    payback_status: RoiStatus
    net_at_horizon_usd: float
    within_horizon: bool  # neutral or positive at the horizon


class RoiAnalysis(_Model):
    """Both sides' costs, and whether (and when) the migration pays for itself.

    ``monthly_savings_usd`` is the source's monthly total minus the target's; ``one_off_usd``
    the target's one-off costs minus the source's (the migration's). The move is "neutral or
    positive within ``horizon_days``" when ``net_at_horizon_usd = savings x horizon / 30 -
    one-off`` is at least 0. ``payback_interval`` comes from the interval of the per-query
    difference; an end that is None means "never" at that end.
    """

    horizon_days: float
    traffic_per_month: int | None
    confidence: float
    has_items: bool  # the plan gave cost items beside the measured calls
    source: SideCosts
    target: SideCosts
    diff_per_query_usd: float | None = None  # target - source, all in
    diff_per_query_pct: float | None = None
    savings_per_query_interval: tuple[float, float] | None = None  # source - target
    #: the sides whose cost per query includes a per-hour item spread over the throughput
    #: the run measured: their costs move with the load the calls were timed under
    throughput_sides: list[str] = Field(default_factory=list)
    #: with throughput sides: the interval of the target's cost per query all in relative to
    #: the source's (percent), from the uncertainty of each side's measured throughput (a
    #: bootstrap of its mean latency; the other parts are exact), and the same in USD
    diff_per_query_pct_interval: tuple[float, float] | None = None
    diff_per_query_interval: tuple[float, float] | None = None
    #: how the two runs were timed (None: not known, e.g. results given without their runs)
    timing: TimingConditions | None = None
    monthly_savings_usd: float | None = None
    monthly_savings_interval: tuple[float, float] | None = None
    one_off_usd: float = 0.0
    payback_days: float | None = None
    payback_interval: tuple[float | None, float | None] | None = None
    payback_status: RoiStatus = "not_requested"
    net_at_horizon_usd: float | None = None
    net_at_horizon_interval: tuple[float, float] | None = None
    break_even_traffic_per_month: float | None = None
    break_even: str = ""
    traffic_for_horizon_per_month: float | None = None
    traffic_for_horizon: str = ""
    sensitivity: list[SensitivityCell] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)


class Recommendation(_Model):
    """Plain-language advice on the move, with the figures behind it.

    Given only when the quality and latency gains are within noise and the move does not pay
    for itself within the horizon: ``advice`` is then "not worth migrating now".
    """

    advice: Literal["not worth migrating now"] = "not worth migrating now"
    reasons: list[str] = Field(default_factory=list)
