"""A template from an untrusted change renders within bounds, or fails with one named line.

Python errors raised by template code (``'{0}'.format_map({})``, ``range(10**9)``) used to
escape as tracebacks, and nothing bounded what a template could build (a 300 MB prompt) or how
long it ran. The renders that used to run away are measured in a child process with a memory
cap and a timeout, so the old behaviour fails the test instead of exhausting the machine.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from agility.dataset import GoldenExample
from agility.errors import ConfigError
from agility.prompts import PromptTemplate, load_template

EXAMPLE = GoldenExample(id="q1", source_prompt="What was revenue?", ground_truth="$10B",
                        input_context=["doc one", "doc two"], metadata={"lang": "en"})


def render(source: str) -> str:
    return PromptTemplate("t", [("user", source)]).render(EXAMPLE)[0].content


@pytest.mark.parametrize(("source", "words"), [
    ("{{ '{0}'.format_map({}) }}", "IndexError"),
    ("{% for i in range(10**9) %}{% endfor %}", "OverflowError"),
    ("{{ 1 / 0 }}", "ZeroDivisionError"),
    ("{% macro f(n) %}{{ f(n) }}{% endmacro %}{{ f(1) }}", "RecursionError"),
    ("{{ ('{:>' ~ 10**9 ~ '}').format(1) }}", "a value of 1,000,000,"),
    ("{{ '%999999999s' % 'x' }}", "a value of 1,000,000,"),
    ("{{ 'x'|center(10**9) }}", "a value of 1,000,000,000"),
    ("{{ 'x'.ljust(10**9) }}", "a value of 1,000,000,000"),
    ("{{ range(100000)|join('x' * 1000000) }}", "characters"),
    ("{{ 2 ** (10 ** 10) }}", "bits"),
    ("{{ [1]|batch(10**9, 'x')|list }}", "a value of 1,000,000,000"),
])
def test_template_code_errors_are_one_config_error_line(source: str, words: str) -> None:
    with pytest.raises(ConfigError) as caught:
        render(source)
    message = str(caught.value)
    assert message.startswith("template 't': messages[0].content: line 1: ")
    assert words in message
    assert "\n" not in message


def test_the_error_names_the_template_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "ported.yaml"
    path.write_text('name: ported\nmessages:\n  - role: user\n    content: "Q: {{ question }}'
                    '\\n{{ \'{0}\'.format_map({}) }}"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=rf"^{path}: messages\[0\].content: line 2: "):
        load_template(path).render(EXAMPLE)


def test_ordinary_templates_render_as_before() -> None:
    text = render("{{ context }}|{% for d in contexts %}{{ loop.index }}:{{ d|upper }} "
                  "{% endfor %}|{{ '%3s'|format('x') }}|{{ '{:>3}'.format(1) }}|"
                  "{{ contexts|join(', ') }}|{{ metadata.lang }}|{{ 'ab' * 2 }}|"
                  "{% set t %}{{ question }}{% endset %}{{ t ~ '!' }}")
    assert text == ("[1] doc one\n\n[2] doc two|1:DOC ONE 2:DOC TWO |  x|  1|doc one, doc two|"
                    "en|abab|What was revenue?!")


_RUNAWAY = {
    "300 MB prompt": "{{ 'x' * 300000000 }}",
    "nested loops": "{% for a in range(100000) %}{% for b in range(100000) %}{% endfor %}"
                    "{% endfor %}",
    "doubling concat": "{% set ns = namespace(s='x') %}{% for i in range(40) %}"
                       "{% set ns.s = ns.s ~ ns.s %}{% endfor %}{{ ns.s|length }}",
    "doubling block": "{% set ns = namespace(s='x') %}{% for i in range(40) %}{% set t %}"
                      "{{ ns.s }}{{ ns.s }}{% endset %}{% set ns.s = t %}{% endfor %}",
    "exponential macro": "{% macro f(n) %}{% if n > 0 %}{{ f(n-1) }}{{ f(n-1) }}{% endif %}"
                         "{% endmacro %}{{ f(60) }}",
    "loop over a long string": "{% for a in 'x' * 1000000 %}{% for b in 'y' * 1000000 %}"
                               "{% endfor %}{% endfor %}",
}

_MEASURE = """
import json, resource, sys, time
resource.setrlimit(resource.RLIMIT_AS, (3 << 30, 3 << 30))   # a runaway render dies here
from agility.dataset import GoldenExample
from agility.errors import ConfigError
from agility.prompts import PromptTemplate
example = GoldenExample(id="q1", source_prompt="What?", ground_truth="42")
template = PromptTemplate("t", [("user", sys.argv[1])])
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
started = time.perf_counter()
try:
    length, error = len(template.render(example)[0].content), None
except ConfigError as exc:
    length, error = None, str(exc)
print(json.dumps({"seconds": time.perf_counter() - started, "error": error, "length": length,
                  "grew_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before}))
"""


@pytest.mark.parametrize("source", list(_RUNAWAY.values()), ids=list(_RUNAWAY))
def test_a_runaway_template_stops_at_a_limit_fast_and_small(source: str) -> None:
    try:
        done = subprocess.run([sys.executable, "-c", textwrap.dedent(_MEASURE), source],
                              capture_output=True, text=True, timeout=60, check=False)
    except subprocess.TimeoutExpired:
        pytest.fail("the render ran for more than 60 s")
    assert done.returncode == 0, done.stderr[-2000:]
    figures = json.loads(done.stdout)
    assert figures["error"] is not None, figures
    assert "went past a rendering limit" in figures["error"]
    assert figures["seconds"] < 10, figures  # the deadline is 5 s
    assert figures["grew_kib"] < 400 * 1024, figures
