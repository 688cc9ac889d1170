"""Canary rollout: route a growing share of users to the target, roll back on a trigger.

The library behind ``agility canary``: the plan's ``rollout:`` section (:class:`RolloutSpec`),
sticky routing (:func:`bucket_of`), per-arm counters (:class:`ArmCounts`), the triggers
(:func:`evaluate_triggers`), the rollout's state and the decisions that change it
(:func:`start_rollout`, :func:`promote`, :func:`pause`, :func:`resume`, :func:`rollback`,
:func:`flag_answer`), the live rollout of a gateway (:class:`LiveRollout`) and online grading
(:class:`OnlineGrader`). The OpenAI-compatible gateway itself is
:mod:`agility.canary.gateway` (it needs the ``web`` extra; importing this package does not
import a web framework).
"""

from agility.canary._controller import LiveRollout, merge_counts
from agility.canary._grading import ONLINE_FIELDS, OnlineGrader, online_metric_specs
from agility.canary._report import (
    ROLLOUT_PAGE,
    render_rollout_html,
    render_rollout_markdown,
    rollout_section_html,
    rollout_section_markdown,
    write_rollout_report,
)
from agility.canary._roles import (
    ADMIN_ROLES,
    CANARY_ROLES,
    CLIENT_ROLES,
    FLAG_ROLES,
    VIEWER_ROLES,
)
from agility.canary._router import SCALE, Arm, bucket_of, routes_to_target
from agility.canary._spec import GradingSpec, RetrySpec, RolloutSpec, StageSpec, TriggerSpec
from agility.canary._state import (
    AUTOMATIC,
    RolloutConflict,
    StageProgress,
    advance_stage,
    flag_answer,
    pause,
    promote,
    require_rollout,
    resume,
    rollback,
    rollout_spec,
    sme_flags_since,
    stage_counts,
    stage_progress,
    start_rollout,
)
from agility.canary._stats import ArmCounts, Histogram, SlidingWindow
from agility.canary._summary import RolloutEvent, RolloutStatus, rollout_events, rollout_status
from agility.canary._triggers import TriggerFired, evaluate_triggers

__all__ = [
    "ADMIN_ROLES",
    "AUTOMATIC",
    "CANARY_ROLES",
    "CLIENT_ROLES",
    "FLAG_ROLES",
    "ONLINE_FIELDS",
    "ROLLOUT_PAGE",
    "SCALE",
    "VIEWER_ROLES",
    "Arm",
    "ArmCounts",
    "GradingSpec",
    "Histogram",
    "LiveRollout",
    "OnlineGrader",
    "RetrySpec",
    "RolloutConflict",
    "RolloutEvent",
    "RolloutSpec",
    "RolloutStatus",
    "SlidingWindow",
    "StageProgress",
    "StageSpec",
    "TriggerFired",
    "TriggerSpec",
    "advance_stage",
    "bucket_of",
    "evaluate_triggers",
    "flag_answer",
    "merge_counts",
    "online_metric_specs",
    "pause",
    "promote",
    "render_rollout_html",
    "render_rollout_markdown",
    "require_rollout",
    "resume",
    "rollback",
    "rollout_events",
    "rollout_section_html",
    "rollout_section_markdown",
    "rollout_spec",
    "rollout_status",
    "routes_to_target",
    "sme_flags_since",
    "stage_counts",
    "stage_progress",
    "start_rollout",
    "write_rollout_report",
]
