"""Start-up of the ``agility`` command: wall and CPU seconds of short commands, and which heavy
libraries each imports.

Each command runs in a fresh interpreter (``python -m agility ARGS``, the same code path as the
``agility`` script), ``--repeats`` times, the commands interleaved so that a change of load hits
them all alike. Wall time is measured around the child; CPU time is the child's user + system
time (``RUSAGE_CHILDREN``), which depends much less on what else the machine runs. The first
row is the interpreter alone (``python -c pass``), the floor. With ``--ref REF`` the ``src/``
tree of git revision REF is measured beside the working tree's, interleaved too (e.g.
``--ref main`` before a change lands). Goal (issue 20): ``agility --version`` and
``agility --help`` <= 0.15 s, and no heavy library before a command needs it.

Run: ``python benchmarks/startup.py [--repeats 9] [--ref REV]``
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from io import BytesIO
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

#: (label, argv after the interpreter)
COMMANDS: list[tuple[str, list[str]]] = [
    ("python -c pass", ["-c", "pass"]),
    ("agility --version", ["-m", "agility", "--version"]),
    ("agility --help", ["-m", "agility", "--help"]),
    ("agility run --help", ["-m", "agility", "run", "--help"]),
    ("agility compare --help", ["-m", "agility", "compare", "--help"]),
    ("agility score --help", ["-m", "agility", "score", "--help"]),
    ("agility metrics list", ["-m", "agility", "metrics", "list"]),
    ("agility prices show openai/gpt-4o-mini",
     ["-m", "agility", "prices", "show", "openai/gpt-4o-mini"]),
]

#: reported when a command imports them (the list of tests/cli/test_cli_startup.py, shortened)
HEAVY = ("numpy", "scipy", "pyarrow", "pandas", "torch", "sentence_transformers",
         "transformers", "llama_cpp", "starlette", "fastapi", "uvicorn", "sklearn", "nltk",
         "aiohttp", "pydantic")

_PROBE = ("import json, runpy, sys\n"
          "sys.argv = ['agility', *json.loads(sys.argv[1])]\n"
          "try:\n    runpy.run_module('agility', run_name='__main__')\n"
          "except SystemExit:\n    pass\n"
          "print('\\nMODULES ' + json.dumps(sorted(sys.modules)), file=sys.stderr)\n")


def _extract(ref: str, into: Path) -> Path:
    """The ``src/`` tree of git revision ``ref``, written under ``into``."""
    data = subprocess.run(["git", "-C", str(ROOT), "archive", ref, "src"], check=True,
                          capture_output=True).stdout
    with tarfile.open(fileobj=BytesIO(data)) as tar:
        tar.extractall(into, filter="data")
    return into / "src"


def _time(argv: list[str], src: Path) -> tuple[float, float]:
    env = {**os.environ, "PYTHONPATH": str(src), "COLUMNS": "100"}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    began = time.perf_counter()
    subprocess.run([sys.executable, *argv], env=env, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL, check=False)
    wall = time.perf_counter() - began
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def _heavy(argv: list[str], src: Path) -> str:
    if argv[0] != "-m":
        return ""
    env = {**os.environ, "PYTHONPATH": str(src)}
    done = subprocess.run([sys.executable, "-c", _PROBE, json.dumps(argv[2:])], env=env,
                          capture_output=True, text=True, check=False)
    modules = set(json.loads(done.stderr.rsplit("\nMODULES ", 1)[1]))
    return ", ".join(name for name in HEAVY if name in modules) or "none"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=9)
    parser.add_argument("--ref", help="also measure the src/ tree of this git revision")
    args = parser.parse_args()
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory() as tmp:
        # byte-code cached as in an installed package, in a folder of this run (the warm-up
        # fills it): with PYTHONDONTWRITEBYTECODE set, every start compiled the source again
        os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
        os.environ["PYTHONPYCACHEPREFIX"] = str(Path(tmp) / "pycache")
        trees = {"this tree": ROOT / "src"}
        if args.ref:
            trees[args.ref] = _extract(args.ref, Path(tmp))
        figures: dict[tuple[str, str], list[tuple[float, float]]] = {}
        for _label, argv in COMMANDS:  # warm the byte-code caches, unmeasured
            for src in trees.values():
                _time(argv, src)
        for _ in range(args.repeats):
            for label, argv in COMMANDS:
                for tree, src in trees.items():
                    figures.setdefault((label, tree), []).append(_time(argv, src))
        heavy = {(label, tree): _heavy(argv, src) for label, argv in COMMANDS
                 for tree, src in trees.items()}
    load_after = os.getloadavg()
    print(f"load average (1, 5, 15 min): before {load_before[0]:.2f} {load_before[1]:.2f} "
          f"{load_before[2]:.2f}; after {load_after[0]:.2f} {load_after[1]:.2f} "
          f"{load_after[2]:.2f}; {args.repeats} repeats\n")
    print("| command | code | wall median s | wall min s | CPU median s | heavy imports |")
    print("|---|---|---:|---:|---:|---|")
    for label, _argv in COMMANDS:
        for tree in trees:
            runs = figures[(label, tree)]
            walls = [w for w, _c in runs]
            cpus = [c for _w, c in runs]
            print(f"| `{label}` | {tree} | {statistics.median(walls):.3f} | {min(walls):.3f} | "
                  f"{statistics.median(cpus):.3f} | {heavy[(label, tree)]} |")


if __name__ == "__main__":
    main()
