"""The rollout's report: a page of its own (``rollout.html``, ``rollout.md`` beside the
migration report) and the short section the migration report shows.

The gateway rewrites the page at start and after every decision (stage change, rollback,
pause), atomically; the migration report links to it and, when the rollout already ran,
shows its verdict, the stages passed and the triggers fired. Everything shown is escaped:
reasons and notes are typed by people and evidence quotes figures from the store.
"""

from __future__ import annotations

from html import escape
from pathlib import Path
from typing import Any

from agility._files import atomic_write
from agility.canary._summary import RolloutEvent, RolloutStatus

__all__ = ["ROLLOUT_PAGE", "render_rollout_html", "render_rollout_markdown",
           "rollout_section_html", "rollout_section_markdown", "write_rollout_report"]

#: the rollout page's file name, beside the migration report
ROLLOUT_PAGE = "rollout.html"
_CSP = "default-src 'none'; style-src 'unsafe-inline'"
_STYLE = ("body{font-family:system-ui,sans-serif;margin:24px auto;max-width:1000px;"
          "padding:0 16px;color:#222}table{border-collapse:collapse;font-size:13px}"
          "th,td{border:1px solid #ddd;padding:4px 8px;text-align:left;vertical-align:top}"
          ".meta{color:#555;font-size:13px}")


def _e(value: object) -> str:
    return escape("" if value is None else str(value), quote=True)


def _figure(value: Any) -> str:
    if value is None:
        return "not measured"
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def _triggers(event: RolloutEvent) -> list[str]:
    evidence = event.payload.get("evidence") or {}
    return [str(t.get("trigger")) for t in evidence.get("triggers") or []]


def _stage_lines(status: RolloutStatus) -> list[tuple[str, str, str, str]]:
    """(when, what, who, why) of every stage change and rollback."""
    rows = []
    for event in status.events:
        if event.kind == "canary.stage_advanced":
            what = (f"stage {event.payload.get('from_stage', 0) + 1} -> "
                    f"{event.payload.get('to_stage', 0) + 1} "
                    f"({_figure(event.payload.get('percent'))}% target)")
            why = "forced" if event.payload.get("forced") else \
                str(event.payload.get("note") or "minimums met")
        elif event.kind == "canary.rolled_back":
            what = f"rolled back from {_figure(event.payload.get('from_percent'))}%"
            why = str(event.payload.get("reason") or "")
        elif event.kind in ("canary.started", "canary.restarted", "canary.paused",
                            "canary.resumed"):
            what = event.kind.removeprefix("canary.")
            why = str(event.payload.get("reason") or event.payload.get("note") or "")
        else:
            continue
        rows.append((event.at, what, event.actor or "", why))
    return rows


def rollout_section_html(status: RolloutStatus | None, link: str = ROLLOUT_PAGE) -> str:
    """The migration report's rollout section (not started: how to start it)."""
    if status is None:
        return ('<section id="rollout"><h2>Rollout</h2><p class="na">not started: '
                '<code>agility canary serve plan.yaml</code> starts the canary; its page will '
                f'be <a href="{_e(link)}">{_e(link)}</a></p></section>')
    fired = sorted({t for e in status.rollbacks for t in _triggers(e)})
    return ('<section id="rollout"><h2>Rollout</h2>'
            f"<p><b>{_e(status.verdict)}</b>; stages passed: {len(status.stages_passed)} of "
            f"{status.stages - 1}; rollbacks: {len(status.rollbacks)}"
            f"{'; triggers fired: ' + _e(', '.join(fired)) if fired else ''}. "
            f'Details: <a href="{_e(link)}">{_e(link)}</a></p></section>')


def rollout_section_markdown(status: RolloutStatus | None, link: str = ROLLOUT_PAGE) -> str:
    """The migration report's rollout section, in Markdown."""
    if status is None:
        return ("## Rollout\n\nNot started: `agility canary serve plan.yaml` starts the canary; "
                f"its page will be [{link}]({link}).\n")
    fired = sorted({t for e in status.rollbacks for t in _triggers(e)})
    return (f"## Rollout\n\n**{status.verdict}**; stages passed: {len(status.stages_passed)} "
            f"of {status.stages - 1}; rollbacks: {len(status.rollbacks)}"
            f"{'; triggers fired: ' + ', '.join(fired) if fired else ''}. "
            f"Details: [{link}]({link}).\n")


def _arm_rows(status: RolloutStatus) -> list[list[str]]:
    rows = []
    for arm, figures in status.arms.items():
        ttft = next((v for k, v in figures.items()
                     if k.startswith("ttft_p") and k != "ttft_p95_ms"), None)
        quality = "; ".join(f"{m}: {_figure(q['mean'])} ({q['graded']} graded)"
                            for m, q in figures["quality"].items()) or "not measured"
        rows.append([arm, str(figures["requests"]), str(figures["errors"]),
                     _figure(figures["error_rate"]), _figure(ttft),
                     _figure(figures["latency_p50_ms"]),
                     _figure(figures["cost_per_request_usd"]), str(figures["fallbacks"]),
                     quality])
    return rows


_ARM_HEADERS = ["arm", "requests", "errors", "error rate", "TTFT (ms)", "latency p50 (ms)",
                "cost/request (USD)", "fallbacks", "online grades"]


def render_rollout_html(status: RolloutStatus) -> str:
    """The rollout's own page: state, this stage's figures per arm, every decision."""
    arms = "".join("<tr>" + "".join(f"<td>{_e(c)}</td>" for c in row) + "</tr>"
                   for row in _arm_rows(status))
    history = "".join("<tr>" + "".join(f"<td>{_e(c)}</td>" for c in row) + "</tr>"
                      for row in _stage_lines(status))
    rollbacks = "".join(
        f"<li>{_e(e.at)} by {_e(e.actor)}: {_e(e.payload.get('reason'))}"
        f"<pre>{_e(_evidence_text(e))}</pre></li>" for e in status.rollbacks)
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">'
        f"<title>rollout {_e(status.name)}</title><style>{_STYLE}</style></head><body>"
        f"<h1>Rollout {_e(status.name)}</h1><p><b>{_e(status.verdict)}</b></p>"
        f'<p class="meta">stage {status.stage} of {status.stages}, since '
        f"{_e(status.stage_started_at)}</p>"
        f"<h2>This stage</h2><table><tr>{''.join(f'<th>{h}</th>' for h in _ARM_HEADERS)}"
        f"</tr>{arms}</table><h2>Decisions</h2><table><tr><th>when</th><th>what</th>"
        f"<th>who</th><th>why</th></tr>{history}</table>"
        f"<h2>Rollbacks</h2>{'<ul>' + rollbacks + '</ul>' if rollbacks else '<p>none</p>'}"
        "</body></html>")


def _evidence_text(event: RolloutEvent) -> str:
    lines = []
    for trigger in (event.payload.get("evidence") or {}).get("triggers") or []:
        figures = ", ".join(f"{k}={_figure(v)}" for k, v in trigger.items() if k != "trigger")
        lines.append(f"{trigger.get('trigger')}: {figures}")
    return "\n".join(lines) or "no trigger (a person's decision)"


def render_rollout_markdown(status: RolloutStatus) -> str:
    """The rollout's own page, in Markdown."""
    def cell(text: object) -> str:
        return str(text).replace("|", "\\|").replace("\n", " ")

    lines = [f"# Rollout {status.name}", "", f"**{status.verdict}** (stage {status.stage} of "
             f"{status.stages}, since {status.stage_started_at})", "", "## This stage", "",
             "| " + " | ".join(_ARM_HEADERS) + " |", "|" + "---|" * len(_ARM_HEADERS)]
    lines += ["| " + " | ".join(cell(c) for c in row) + " |" for row in _arm_rows(status)]
    lines += ["", "## Decisions", "", "| when | what | who | why |", "|---|---|---|---|"]
    lines += ["| " + " | ".join(cell(c) for c in row) + " |" for row in _stage_lines(status)]
    lines += ["", "## Rollbacks", ""]
    for event in status.rollbacks:
        lines += [f"- {event.at} by {cell(event.actor)}: {cell(event.payload.get('reason'))}",
                  *(f"  - {cell(line)}" for line in _evidence_text(event).splitlines())]
    if not status.rollbacks:
        lines.append("none")
    return "\n".join(lines) + "\n"


def write_rollout_report(status: RolloutStatus, folder: Path) -> tuple[Path, Path]:
    """Write ``rollout.html`` and ``rollout.md`` into ``folder`` (atomically).

    Raises:
        OSError: the folder cannot be written.
    """
    folder.mkdir(parents=True, exist_ok=True)
    html = folder / ROLLOUT_PAGE
    markdown = folder / "rollout.md"
    atomic_write(html, render_rollout_html(status))
    atomic_write(markdown, render_rollout_markdown(status))
    return html, markdown
