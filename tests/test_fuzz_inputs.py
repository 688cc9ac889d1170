"""Fuzzing the three readers of untrusted files: datasets, plans and prompt templates.

Each is fed mutated versions of real files (the worked example's golden set, plan and prompt)
and generated text, and may only ever raise agility's own errors: anything else would reach
the user as a traceback. Hypothesis drives the mutations; the default run is derandomised and
bounded to a few seconds per reader, and a ``slow`` variant explores ten times more at random.

The mutations splice in the bytes that broke the readers before: invalid UTF-8, lone surrogate
escapes, NaN, huge integers, deep nesting, duplicate keys, YAML aliases and tags, Jinja calls
on Python objects, huge repetitions.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agility.dataset import GoldenExample, load_dataset, write_examples
from agility.errors import AgilityError
from agility.migrate import load_plan, parse_plan
from agility.prompts import PromptTemplate, load_template

EXAMPLE = Path(__file__).resolve().parents[1] / "src" / "agility" / "examples" / "finance_rag"
GOLDEN = (EXAMPLE / "golden.jsonl").read_bytes().splitlines(keepends=True)[:6]
PLAN = (EXAMPLE / "plan.yaml").read_bytes()
PROMPT = (EXAMPLE / "prompts" / "legacy.yaml").read_bytes()
ROW = GoldenExample(id="q1", source_prompt="What was revenue?", ground_truth="$10B",
                    input_context=["doc one", "doc two"], metadata={"lang": "en"})

#: byte strings that broke a reader once, or that readers handle specially
HOSTILE = [
    b"\xff", b"\xc3", b"\xed\xa0\x80", b"\x00", b"\r", b"\n", b"\"", b"\\", b",", b"{", b"}",
    b"[", b"]", b":", b"\\ud800", b"\\udfff", b"NaN", b"-Infinity", b"1e999", b"9" * 4400,
    b"[" * 300, b"]" * 300, b"{\"a\":" * 100, b"\"id\": \"dup\", \"id\": \"dup\"",
    b"&a [*a, *a, *a]", b"*a", b"<<: *a", b"!!python/object:os.system", b"!!binary", b"? [k]",
    b"- - - - -", b"\t", b"---\n", b"...\n", b"%YAML 1.1\n", b"\xef\xbb\xbf",
    b"{{ ", b" }}", b"{% for i in range(10**9) %}", b"{% endfor %}", b"{{ '{0}'.format_map({}) }}",
    b"{{ 'x' * 10**9 }}", b"{{ lipsum(10**6) }}", b"{{ ().__class__ }}", b"{% raw %}",
    b"{{ example.ground_truth }}", b"=cmd|", b"@SUM(", b"../../../../etc/passwd", b"/dev/zero",
]


@st.composite
def mutated(draw: Any, seed: bytes, max_edits: int = 6) -> bytes:
    """``seed`` with a few insertions, deletions and replacements, often of HOSTILE bytes."""
    data = bytearray(seed)
    for _ in range(draw(st.integers(1, max_edits))):
        at = draw(st.integers(0, len(data)))
        kind = draw(st.sampled_from(["insert", "delete", "replace", "repeat"]))
        piece = draw(st.one_of(st.sampled_from(HOSTILE), st.binary(min_size=1, max_size=8)))
        if kind == "insert":
            data[at:at] = piece
        elif kind == "delete":
            del data[at:at + draw(st.integers(1, 40))]
        elif kind == "replace":
            data[at:at + len(piece)] = piece
        else:
            data[at:at] = piece * draw(st.integers(2, 200))
    return bytes(data)


def parquet_seed() -> bytes:
    """A small valid golden Parquet file, as bytes."""
    with tempfile.TemporaryDirectory() as folder:
        path = write_examples(Path(folder) / "seed.parquet", [ROW])
        return path.read_bytes()


def dataset_files() -> st.SearchStrategy[tuple[str, bytes]]:
    jsonl = mutated(b"".join(GOLDEN))
    csv_seed = (b"id,source_prompt,ground_truth,metadata,automated_score\r\n"
                b'q1,What?,42,"{""a"": 1}",0.5\r\nq2,"Why, then?",7,{},\r\n')
    return st.one_of(st.tuples(st.just(".jsonl"), jsonl),
                     st.tuples(st.just(".csv"), mutated(csv_seed)),
                     st.tuples(st.just(".parquet"), mutated(parquet_seed(), 3)),
                     st.tuples(st.just(".jsonl"), st.binary(max_size=400)))


def check_dataset(suffix: str, data: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"golden{suffix}"
        path.write_bytes(data)
        try:
            dataset = load_dataset(path)
        except AgilityError:
            return
        for example in dataset.examples:  # what is accepted can be hashed and written back
            assert json.dumps(example.to_row(), allow_nan=False).encode("utf-8")


def check_plan(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "plan.yaml"
        path.write_bytes(data)
        try:
            load_plan(path)
        except AgilityError:
            pass
        try:
            parse_plan(data.decode("utf-8", "replace"), "plan.yaml", base=Path(folder))
        except AgilityError:
            pass


JINJA_PIECES = ["{{ ", " }}", "{% ", " %}", "question", "context", "contexts", "metadata.lang",
                "example", "few_shot", "|upper", "|join(', ')", "|center(", "|indent(", "|format(",
                "|batch(", "|list", "|length", "|replace('o', 'oo')", ".ljust(", ".format(",
                ".format_map(", ".replace(", ".split()", "range(", "lipsum(", "namespace(",
                "for x in ", "endfor", "if ", "endif", "else", "set ns = ", "macro f(n)",
                "endmacro", "f(", "loop.index", " ~ ", " * ", " ** ", " % ", " + ", " / ", "10",
                "10**9", "-1", "0", "'x'", "'{0}'", "'%s'", "{}", "[]", "(", ")", ",", "'",
                "\"", "\\", "\n", "__class__", "mro()", "ground_truth", "raw", "endraw"]


def check_template(source: str) -> None:
    try:
        PromptTemplate("fuzz", [("user", source)]).render(ROW)
    except AgilityError:
        pass


def check_template_file(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "prompt.yaml"
        path.write_bytes(data)
        try:
            load_template(path).render(ROW)
        except AgilityError:
            pass


FAST = settings(max_examples=150, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
LONG = settings(max_examples=1500, deadline=None, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

template_sources = st.lists(st.sampled_from(JINJA_PIECES), max_size=25).map("".join)


@FAST
@given(dataset_files())
def test_the_dataset_reader_only_raises_agility_errors(case: tuple[str, bytes]) -> None:
    check_dataset(*case)


@FAST
@given(st.one_of(mutated(PLAN), st.binary(max_size=300)))
def test_the_plan_loader_only_raises_agility_errors(data: bytes) -> None:
    check_plan(data)


@FAST
@given(st.one_of(template_sources, st.text(max_size=80)))
def test_the_template_renderer_only_raises_agility_errors(source: str) -> None:
    check_template(source)


@FAST
@given(mutated(PROMPT))
def test_the_template_loader_only_raises_agility_errors(data: bytes) -> None:
    check_template_file(data)


@pytest.mark.slow
@LONG
@given(dataset_files(), st.one_of(mutated(PLAN, 12), st.binary(max_size=600)),
       template_sources, mutated(PROMPT, 12))
def test_every_reader_only_raises_agility_errors_long_run(
        case: tuple[str, bytes], plan: bytes, source: str, prompt: bytes) -> None:
    check_dataset(*case)
    check_plan(plan)
    check_template(source)
    check_template_file(prompt)
