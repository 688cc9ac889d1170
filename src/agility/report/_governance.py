"""The governance section of the HTML report: a checklist with each item's status and evidence.

The items are built by :mod:`agility.governance` (audit chain, privacy, residency, retention,
sign-off); this module only renders them, escaped, like every other section.
"""

from __future__ import annotations

from html import escape
from typing import Literal

from pydantic import BaseModel, ConfigDict

__all__ = ["ChecklistItem", "governance_html", "governance_markdown"]

Status = Literal["done", "pending", "failed", "not set"]


class ChecklistItem(BaseModel):
    """One governance item: what it is, where it stands, and the evidence for that."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    item: str
    status: Status
    evidence: str


def governance_html(items: list[ChecklistItem] | None) -> str:
    """The report's governance section (empty when there is no checklist)."""
    if not items:
        return ""
    rows = "".join(f'<tr><td>{escape(i.item)}</td><td class="st-{i.status.replace(" ", "-")}">'
                   f"<b>{escape(i.status)}</b></td><td>{escape(i.evidence)}</td></tr>"
                   for i in items)
    return ('<section id="governance"><h2>Governance</h2><table><thead><tr><th>item</th>'
            f"<th>status</th><th>evidence</th></tr></thead><tbody>{rows}</tbody></table>"
            "</section>")


def governance_markdown(items: list[ChecklistItem] | None) -> str:
    """The governance checklist as Markdown lines (empty when there is none)."""
    if not items:
        return ""
    lines = ["", "### Governance", "", "| item | status | evidence |", "|---|---|---|"]
    lines += [f"| {i.item} | **{i.status}** | {i.evidence.replace('|', '/')} |" for i in items]
    return "\n".join(lines) + "\n"
