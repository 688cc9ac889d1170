"""Reports of a comparison: a self-contained HTML page, a Markdown summary and terminal text."""

from agility.report._governance import ChecklistItem, governance_html, governance_markdown
from agility.report._html import CSP, render_html, write_html
from agility.report._markdown import render_markdown, write_markdown
from agility.report._text import criterion_lines, gate_scope, payback_text, render_text

__all__ = [
    "CSP",
    "ChecklistItem",
    "criterion_lines",
    "gate_scope",
    "governance_html",
    "governance_markdown",
    "payback_text",
    "render_html",
    "render_markdown",
    "render_text",
    "write_html",
    "write_markdown",
]
