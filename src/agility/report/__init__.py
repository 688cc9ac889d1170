"""Reports of a comparison: a self-contained HTML page and a Markdown summary."""

from agility.report._html import CSP, render_html, write_html
from agility.report._markdown import render_markdown, write_markdown

__all__ = ["CSP", "render_html", "render_markdown", "write_html", "write_markdown"]
