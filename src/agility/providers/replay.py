"""``replay/PATH``: answers recorded elsewhere, looked up by example id.

The file is JSON lines (``.jsonl``/``.ndjson``), CSV or Parquet, read by the golden-dataset
reader (:func:`agility.dataset.read_rows`), one answer a row: an id, the output and,
where known, ``latency_ms``, ``ttft_ms``, ``input_tokens``, ``output_tokens``,
``finish_reason``, ``request_id``. A figure the file lacks is ``None`` (not measured), never 0.
The answers' cost is unknown too: a replay run's cost is not measured unless the user gives a
price (``--price-input``/``--price-output``) and the file carries the token counts.
Options ``id_field`` and ``output_field`` map other column names; by default the first of
``id``/``example_id``/``financebench_id`` and ``output``/``model_answer``/``response`` present in
the first row is used (so FinanceBench result files replay as they are).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agility.chat import ChatRequest, Completion
from agility.dataset import read_rows
from agility.errors import DatasetError, Problem, ProviderError
from agility.providers._base import Location, Provider, ProviderOptions

__all__ = ["RecordedAnswer", "ReplayOptions", "ReplayProvider", "load_recorded_answers"]

_ID_FIELDS = ("id", "example_id", "financebench_id")
_OUTPUT_FIELDS = ("output", "model_answer", "response")
_INT_FIGURES = ("input_tokens", "output_tokens")
_FLOAT_FIGURES = ("latency_ms", "ttft_ms")


@dataclass(frozen=True)
class RecordedAnswer:
    """One recorded answer and the figures recorded with it (``None``: not recorded)."""

    output: str
    latency_ms: float | None = None
    ttft_ms: float | None = None
    input_tokens: int | None = None
    output_tokens: int | None = None
    finish_reason: str | None = None
    request_id: str | None = None


class ReplayOptions(ProviderOptions):
    """Options of ``replay/``: which columns hold the example id and the answer."""

    id_field: str | None = None
    output_field: str | None = None


class ReplayProvider(Provider):
    """Replays a file of recorded answers; never sleeps, never calls out."""

    name = "replay"
    Options = ReplayOptions
    options: ReplayOptions
    # not local: the recorded answers cost something we do not know (None, not 0)
    recorded = True
    supports_text = True  # a recorded answer does not depend on how the prompt was sent

    def __init__(self, model: str, options: ReplayOptions | Mapping[str, Any] | None = None,
                 **more: Any) -> None:
        super().__init__(model, options, **more)
        self.path = Path(model)
        self.answers = load_recorded_answers(self.path, id_field=self.options.id_field,
                                             output_field=self.options.output_field)


    def location(self) -> Location:
        """Recorded answers are read from a file: no data is sent anywhere."""
        return Location(("local",), "replays recorded answers; no call leaves this host")
    async def complete(self, request: ChatRequest, *, example_id: str | None = None) -> Completion:
        """Return the answer recorded for ``example_id``.

        Raises:
            ProviderError: (not retryable) when no id is given or the file has no such id.
        """
        if example_id is None:
            raise ProviderError(f"replay needs the example id to look an answer up in "
                                f"{self.path}", provider=self.name, model=self.model)
        answer = self.answers.get(example_id)
        if answer is None:
            raise ProviderError(f"no recorded answer for example '{example_id}' in {self.path}; "
                                f"record it there or drop the example from the dataset",
                                provider=self.name, model=self.model)
        return Completion(text=answer.output, ttft_ms=answer.ttft_ms,
                          latency_ms=answer.latency_ms, input_tokens=answer.input_tokens,
                          output_tokens=answer.output_tokens, finish_reason=answer.finish_reason,
                          request_id=answer.request_id)


def load_recorded_answers(path: Path, *, id_field: str | None = None,
                          output_field: str | None = None) -> dict[str, RecordedAnswer]:
    """Read a JSONL, CSV or Parquet file of recorded answers, keyed by example id.

    Args:
        path: the file.
        id_field: column holding the example id (default: detected, see module docs).
        output_field: column holding the answer text (default: detected).

    Returns:
        The answers by id.

    Raises:
        DatasetError: the file is missing or unreadable, or rows lack an id/output, repeat
            an id, or carry a figure that is not a non-negative number. Lists every problem.
    """
    if not path.is_file():
        raise DatasetError(f"replay file {path} does not exist; give replay/PATH with the path "
                           f"of a JSONL, CSV or Parquet file of recorded answers")
    # the golden-dataset reader: JSONL, CSV or Parquet, every unreadable line named
    raw, problems = read_rows(path, decode_nested=False)
    rows = [(r.line, r.data) for r in raw]
    first = rows[0][1] if rows else {}
    id_key = id_field or next((f for f in _ID_FIELDS if f in first), "id")
    output_key = output_field or next((f for f in _OUTPUT_FIELDS if f in first), "output")
    answers: dict[str, RecordedAnswer] = {}
    for line, row in rows:
        answer = _parse_row(str(path), line, row, id_key, output_key, problems)
        if answer is None:
            continue
        key = str(row[id_key])
        if key in answers:
            problems.append(Problem(str(path), line, id_key, f"id '{key}' appears twice"))
        answers[key] = answer
    if problems:
        raise DatasetError(f"{path} is not a usable replay file", problems)
    return answers


def _parse_row(path: str, line: int, row: dict[str, Any], id_field: str, output_field: str,
               problems: list[Problem]) -> RecordedAnswer | None:
    ok = True
    if row.get(id_field) in (None, ""):
        problems.append(Problem(path, line, id_field, "missing example id (set id_field= if "
                                                      "the column has another name)"))
        ok = False
    if row.get(output_field) is None:
        problems.append(Problem(path, line, output_field, "missing output (set output_field= "
                                                          "if the column has another name)"))
        ok = False
    figures: dict[str, Any] = {}
    for name in _INT_FIGURES + _FLOAT_FIGURES:
        value = row.get(name)
        if value is None:
            figures[name] = None
            continue
        try:
            number = float(value)
        except (TypeError, ValueError):
            number = math.nan
        if math.isnan(number) or number < 0 or isinstance(value, bool):
            problems.append(Problem(path, line, name, f"{value!r} is not a non-negative number"))
            ok = False
            continue
        figures[name] = int(number) if name in _INT_FIGURES else number
    if not ok:
        return None
    return RecordedAnswer(output=str(row[output_field]),
                          finish_reason=_text(row.get("finish_reason")),
                          request_id=_text(row.get("request_id")), **figures)


def _text(value: Any) -> str | None:
    return None if value is None else str(value)
