"""Porting prompts to a target model: candidates, search, the locked holdout, the port report.

>>> result = port(PortOptions(dataset="golden.jsonl", prompt="prompts/legacy.yaml",
...                           target="llamacpp/gemma3-270m", output="ported.yaml"))
>>> result.report.gain("holdout")     # ported minus source, on rows the port never saw

Candidates come from three generators, each usable alone: scaffolding rules per target family
(:mod:`agility.port._rules`), few-shot pairs from the dev split (:mod:`agility.port._fewshot`)
and an optimiser model (:mod:`agility.port._optimizer`). The search
(:mod:`agility.port._search`) scores them with the real target on dev rows within a budget;
the holdout is scored once, after the choice. Every candidate carries the source prompt's
constraints (:mod:`agility.port._constraints`), and safety is a constraint of the choice, not a
tie-breaker (:mod:`agility.port._safety`).
"""

from agility.port._budget import Budget, Ledger, Spend, worst_case_usd
from agility.port._candidate import Candidate, CandidateScore
from agility.port._constraints import (
    Constraint,
    carried,
    carry_constraints,
    constraint_lines,
    extract_constraints,
)
from agility.port._family import FAMILIES, Family, FormatEcho, detect_family, find_format_echoes
from agility.port._fewshot import compact_context, select_pool
from agility.port._html import render_port_html, write_port_html
from agility.port._optimizer import META_PROMPT_VERSIONS, BadReply, parse_reply
from agility.port._options import FewShotSettings, PortOptions, PortSettings, PriceSettings
from agility.port._port import PortResult, aport, port
from agility.port._report import (
    BudgetUse,
    CandidateRow,
    ConstraintRow,
    PortReport,
    SafetyReport,
    ScoreRow,
    SideScores,
    write_report_json,
)
from agility.port._rules import AnswerShape, answer_shape, fit_config, rules_candidates
from agility.port._safety import SafetyChecks, is_safety_metric, safety_metrics

__all__ = [
    "FAMILIES",
    "META_PROMPT_VERSIONS",
    "AnswerShape",
    "BadReply",
    "Budget",
    "BudgetUse",
    "Candidate",
    "CandidateRow",
    "CandidateScore",
    "Constraint",
    "ConstraintRow",
    "Family",
    "FewShotSettings",
    "FormatEcho",
    "Ledger",
    "PortOptions",
    "PortReport",
    "PortResult",
    "PortSettings",
    "PriceSettings",
    "SafetyChecks",
    "SafetyReport",
    "ScoreRow",
    "SideScores",
    "Spend",
    "answer_shape",
    "aport",
    "carried",
    "carry_constraints",
    "compact_context",
    "constraint_lines",
    "detect_family",
    "extract_constraints",
    "find_format_echoes",
    "fit_config",
    "is_safety_metric",
    "parse_reply",
    "port",
    "render_port_html",
    "rules_candidates",
    "safety_metrics",
    "select_pool",
    "worst_case_usd",
    "write_port_html",
    "write_report_json",
]
