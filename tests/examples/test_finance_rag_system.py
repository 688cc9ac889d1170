"""The demo's RAG app as a ``python:`` system: each answer's ``retrieve`` and ``generate`` spans,
the port that scores candidate prompts by running the app, the reports' table of latency and
cost by span for both sides, ``agility export --spans``, and a retrieval fault recorded as the
example's error on its span and counted at the gate.

The migration tests run the packaged demo plan as it is (the real MiniLM retrieval over the
filing, the real port) with ``mock/echo`` in place of Gemma, so they take seconds; the slow
demo test in tests/migrate/test_pipeline.py runs the real local model.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from agility.cli.main import _register, app
from agility.compare import compare_runs
from agility.dataset import load_dataset
from agility.examples import rag
from agility.migrate import MigrationResult, copy_example, example_path, load_plan, migrate
from agility.retrieval import EmbeddingRetriever, Retrieval
from agility.runner import run_system
from agility.store import ResultRecord, Store

_register()

PLAN = example_path("finance_rag") / "plan.yaml"
COST_PER_QUERY = 0.00001  # the plan's retriever.cost_per_query_usd
TOP_K = 2


def _echo_plan(folder: Path, rows: int = 12) -> Path:
    """The packaged demo plan as it is, with ``mock/echo`` for Gemma (and its options)."""
    plan = copy_example(folder, rows=rows)
    text = plan.read_text(encoding="utf-8").replace("llamacpp/gemma3-270m", "mock/echo")
    text = re.sub(r"provider_options: \{[^}]*\}", "provider_options: {ttft_ms: 2}", text)
    plan.write_text(text, encoding="utf-8")
    return plan


@dataclass
class Demo:
    result: MigrationResult
    store: Store
    folder: Path


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Any:
    folder = tmp_path_factory.mktemp("demo-system") / "demo"
    plan = _echo_plan(folder)
    store = Store(folder / ".agility" / "agility.db")
    try:
        yield Demo(migrate(plan, store=store, progress=False), store, folder)
    finally:
        store.close()


def _results(store: Store, run: str) -> list[ResultRecord]:
    return store.results(store.require_run(run).id)


def test_the_packaged_plan_runs_the_app_as_a_python_system_on_both_sides() -> None:
    plan = load_plan(PLAN)  # agility's own module: allowed in a plan without --allow-system
    for side in (plan.source, plan.target):
        assert side.system is not None and side.system.spec == rag.SPEC
        assert side.model == "llamacpp/gemma3-270m"
    assert plan.retriever is not None and plan.retriever.cost_per_query_usd == COST_PER_QUERY
    assert plan.port is not None  # the demo still ports the legacy prompt


def test_every_answer_of_both_sides_has_a_retrieve_and_a_generate_span(demo: Demo) -> None:
    holdout = {ex.id for ex in load_dataset(demo.folder / "golden.jsonl").examples
               if ex.split == "holdout"}
    for run in (demo.result.source_run, demo.result.target_run):
        assert demo.store.require_run(run).meta["system"]["spec"] == rag.SPEC
        results = [r for r in _results(demo.store, run) if r.example_id in holdout]
        assert {r.example_id for r in results} == holdout
        for result in results:
            assert result.error is None, result.error
            assert [s.name for s in result.spans] == ["retrieve", "generate"]
            retrieve, generate = result.spans
            assert retrieve.kind == "retrieval" and retrieve.error is None
            assert retrieve.duration_ms is not None and retrieve.duration_ms > 0
            assert retrieve.cost_usd == pytest.approx(COST_PER_QUERY)
            assert len(retrieve.attributes["chunks"]) >= TOP_K
            assert retrieve.attributes["documents"] == len(result.contexts or [])
            assert generate.kind == "llm" and generate.model == "mock/echo"
            assert generate.start_ms >= retrieve.start_ms + retrieve.duration_ms
            # the retrieved chunks are in the prompt the model was sent (echo answers it)
            assert result.contexts and result.contexts[0][:40] in result.output
            # cost per query: the model call ($0 here) plus the retrieval's declared cost
            assert result.cost_usd == pytest.approx(COST_PER_QUERY)
            assert result.retrieval_ms == pytest.approx(retrieve.duration_ms)


def test_the_port_scored_each_candidate_prompt_by_running_the_app(demo: Demo) -> None:
    port = demo.result.lineage["port"]
    assert port is not None and port["calls_used"] > 0
    runs = [r for r in demo.store.list_runs() if r.name.startswith("port/finance-rag-port/")]
    assert len(runs) >= 3  # the source prompt and the candidates tried
    for run in runs:
        assert run.meta["system"]["spec"] == rag.SPEC, run.name
        for result in demo.store.results(run.id):
            assert [s.name for s in result.spans] == ["retrieve", "generate"], run.name
    # the sides are the port's system runs: the holdout answers it paid for, not paid again
    assert demo.result.source_run.startswith("port/finance-rag-port/source-")
    assert demo.result.target_run.startswith("port/finance-rag-port/")
    assert "already stored" in demo.result.steps["target"]
    saved = json.loads((demo.folder / "report" / "port.json").read_text(encoding="utf-8"))
    assert saved["target"]["system"] == rag.SPEC


class _Cells(HTMLParser):
    """The rows of the HTML report's ``spans`` section, as lists of cell texts."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[list[str]] = []
        self._in_spans = False
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "section":
            self._in_spans = dict(attrs).get("id") == "spans"
        elif self._in_spans and tag == "tr":
            self.rows.append([])
        elif self._in_spans and tag == "td":
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "td" and self._cell is not None:
            self.rows[-1].append("".join(self._cell).strip())
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


_PCTS = re.compile(r"^\d+ / \d+ / \d+$")


def test_the_reports_show_retrieve_and_generate_for_both_sides(demo: Demo) -> None:
    parser = _Cells()
    parser.feed(demo.result.report_html.read_text(encoding="utf-8"))
    rows = {(cells[0], cells[2].split(" ")[0]): cells for cells in parser.rows if cells}
    for name, kind in (("retrieve", "retrieval"), ("generate", "llm")):
        for side in ("source", "target"):
            cells = rows[(name, side)]
            assert cells[1] == kind
            assert int(cells[3]) == 6  # one call per holdout query (6 of the 12 rows)
            assert _PCTS.match(cells[4]), cells  # p50 / p95 / p99, measured
            assert cells[5].endswith("%") and cells[6].endswith("%")  # shares of end-to-end
        assert rows[(name, "difference")][4].count("/") == 2
    assert rows[("retrieve", "source")][7] == rows[("retrieve", "target")][7] == "$0.00001"
    assert rows[("generate", "source")][7] == "$0"  # a local model's call costs $0
    html = demo.result.report_html.read_text(encoding="utf-8")
    assert "drives the tail" in html

    markdown = demo.result.report_markdown.read_text(encoding="utf-8")
    table = {line.split("|")[1].strip(): [c.strip() for c in line.split("|")[2:-1]]
             for line in markdown.splitlines()
             if line.startswith(("| retrieve (retrieval) |", "| generate (llm) |"))}
    assert set(table) == {"retrieve (retrieval)", "generate (llm)"}
    for cells in table.values():
        source, target, difference, share, _cost = cells
        assert _PCTS.match(source) and _PCTS.match(target), cells
        assert difference.count("/") == 2 and share.count("%") == 2
    assert table["retrieve (retrieval)"][4] == "$0.00001 / $0.00001"
    assert "The tail" in markdown and "is driven by" in markdown


def test_export_spans_holds_both_spans_of_every_answer(demo: Demo, tmp_path: Path) -> None:
    out = tmp_path / "spans.jsonl"
    run = demo.result.target_run
    done = CliRunner().invoke(app, ["export", run, "-o", str(out), "--spans",
                                    "--store", str(demo.store.path)])
    assert done.exit_code == 0, done.output
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    by_example: dict[str, list[str]] = {}
    for row in rows:
        by_example.setdefault(row["id"], []).append(row["name"])
    answered = {r.example_id for r in _results(demo.store, run)}
    assert set(by_example) == answered
    assert all(names == ["retrieve", "generate"] for names in by_example.values())
    retrieve = next(r for r in rows if r["name"] == "retrieve")
    assert retrieve["kind"] == "retrieval" and retrieve["cost_usd"] == pytest.approx(
        COST_PER_QUERY)


class _BrokenOn:
    """A retriever whose index cannot be read for one question (the filing's real retriever
    for the others)."""

    def __init__(self, inner: EmbeddingRetriever, broken_id: str) -> None:
        self.inner, self.broken_id = inner, broken_id

    async def retrieve(self, example: Any) -> Retrieval:
        if example.id == self.broken_id:
            raise OSError(f"index file {self.inner.index_path.name} is missing")
        return await self.inner.retrieve(example)


def test_a_retrieval_fault_is_the_examples_error_on_its_span_and_counts_at_the_gate(
        tmp_path: Path, tmp_store: Store) -> None:
    folder = tmp_path / "demo"
    copy_example(folder, rows=8)
    dataset = load_dataset(folder / "golden.jsonl")
    retriever = EmbeddingRetriever(folder / "filing.md", top_k=TOP_K,
                                   cost_per_query_usd=COST_PER_QUERY)
    broken = dataset.examples[3].id
    common: dict[str, Any] = {"model": "mock/echo", "store": tmp_store, "progress": False,
                              "template": folder / "prompts" / "legacy.yaml",
                              "provider_options": {"ttft_ms": 2}}
    run_system(dataset, rag.SPEC, name="clean", retriever=retriever, **common)
    summary = run_system(dataset, rag.SPEC, name="faulty",
                         retriever=_BrokenOn(retriever, broken), **common)
    assert summary.n_errors == 1 and summary.n_done == len(dataset)

    results = {r.example_id: r for r in _results(tmp_store, "faulty")}
    failed = results[broken]
    assert failed.output is None and "index file" in (failed.error or "")
    assert [s.name for s in failed.spans] == ["retrieve"]  # nothing generated after it
    assert failed.spans[0].kind == "retrieval" and "OSError" in (failed.spans[0].error or "")
    assert all(r.error is None and [s.name for s in r.spans] == ["retrieve", "generate"]
               for i, r in results.items() if i != broken)

    comparison = compare_runs(tmp_store, "clean", "faulty")
    assert comparison.errors.source.failed == 0
    assert comparison.errors.target.failed == 1
    assert any("index file" in message for message in comparison.errors.target.errors)
    gate = next(c for c in comparison.criteria_results if c.kind == "error_rate")
    assert gate.status != "pass"  # one failed query in eight is not within +1 point
    retrieve = next(s for s in comparison.latency.spans if s.name == "retrieve")
    assert retrieve.errors == {"source": 0, "target": 1}


def test_a_demo_whose_index_cannot_be_read_fails_every_query_on_its_retrieve_span(
        tmp_path: Path) -> None:
    folder = tmp_path / "demo"
    plan = _echo_plan(folder, rows=12)
    retriever = EmbeddingRetriever(folder / "filing.md", top_k=TOP_K)
    retriever.index_path.write_bytes(b"not an index")  # what a torn copy leaves behind
    done = CliRunner().invoke(app, ["migrate", str(plan), "--no-progress",
                                    "--store", str(folder / "s.db")])
    assert done.exit_code == 1, done.output  # a verdict, not a crash: FAIL or INCOMPLETE
    assert "cannot set up the index" in done.output
    with Store(folder / "s.db") as store:
        record = store.get_migration("finance-rag-port")
        assert record is not None and record.verdict in ("FAIL", "INCOMPLETE")
        for side in ("source", "target"):
            results = store.results(store.require_run(record.lineage[side]["run"]).id)
            assert results and all(r.error is not None and r.output is None for r in results)
            assert all([s.name for s in r.spans] == ["retrieve"] and r.spans[0].error
                       for r in results)
    markdown = (folder / "report" / "report.md").read_text(encoding="utf-8")
    assert "error rate" in markdown.lower()


def test_a_port_of_a_system_refuses_a_usd_budget_before_any_call(tmp_path: Path,
                                                                tmp_store: Store) -> None:
    from agility.errors import UsageError
    from agility.port import PortOptions, PriceSettings, port
    from agility.systems import parse_system_spec

    folder = tmp_path / "demo"
    copy_example(folder, rows=12)
    options = PortOptions(dataset=folder / "golden.jsonl", prompt=folder / "prompts" / "legacy.yaml",
                          target="mock/echo", config={"max_tokens": 32},
                          price=PriceSettings(input_per_mtok=1.0, output_per_mtok=2.0),
                          budget_usd=1.0, system=parse_system_spec(rag.SPEC))
    with pytest.raises(UsageError, match="budget_usd cannot bound a system's spend"):
        port(options, store=tmp_store)
    assert tmp_store.list_runs() == []  # refused before anything ran
