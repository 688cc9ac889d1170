"""FinanceBench's expert-labelled answers, read in place, for the grader benchmarks.

``../shared/datasets/financebench/results/*.jsonl``: 14 recorded configurations (a model
family and an evaluation mode) x 150 questions, each answer labelled by a financial expert
``Correct Answer`` / ``Incorrect Answer`` / ``Refusal``. Data: FinanceBench, Islam et al.
2023, arXiv:2311.11944, licence CC BY-NC 4.0 (not copied into this repository).

Helpers shared by ``grader_calibration.py``, ``refusal_calibration.py`` and
``judge_calibration.py``: the rows, the naive baseline, and the decision comparison (every
pair of configurations compared with agility's paired test on the grader's verdicts and on
the experts' labels).
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from agility.compare import mcnemar
from agility.metrics import normalize_label
from agility.metrics._grade import read_rows

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT.parent / "shared" / "datasets" / "financebench" / "results"
#: FinanceBench's columns under the names ``agility grade`` reads (its ``--map``)
MAPPING = {"id": "financebench_id", "ground_truth": "gold_answer", "output": "model_answer"}
ALPHA = 0.05

_NAIVE_REFUSAL = re.compile(r"(?i)\b(sorry|cannot|can't|unable|as an ai|not (?:provided|available|"
                            r"mentioned)|does not (?:contain|provide|include|mention)|no information)\b")
# a number not glued to letters (FY2022, Q2) and not a bare year
_FIRST_NUMBER = re.compile(r"(?<![A-Za-z\d.])-?(?!(?:19|20)\d\d\b)\d[\d,]*(?:\.\d+)?")


def load_rows() -> list[dict]:
    """Every labelled answer, with ``config`` (the file's name) and ``family`` added."""
    rows = []
    for path in sorted(RESULTS.glob("*.jsonl")):
        for row in read_rows(path):
            rows.append(dict(row, config=path.stem, family=row["model_name"]))
    return rows


def naive_verdict(gold: object, answer: object) -> str:
    """The naive baseline: a refusal regex, else the gold's first number within 1.5% anywhere
    in the answer (scale and %/ratio forgiven); a gold without a number counts as correct."""
    text = str(answer)
    if not text.strip() or _NAIVE_REFUSAL.search(text):
        return "refusal"
    gold_number = _FIRST_NUMBER.search(str(gold))
    if gold_number is None:
        return "correct"
    g = float(gold_number.group().replace(",", ""))
    said = [float(m.group().replace(",", "")) for m in _FIRST_NUMBER.finditer(text)]
    ok = any(abs(a - g * f) <= 0.015 * abs(g * f) if g else a == 0
             for a in said for f in (1, 1e3, 1e-3, 100, 0.01))
    return "correct" if ok else "incorrect"


def decision(source: np.ndarray, target: np.ndarray) -> str:
    """"better", "worse" or "same" (no significant difference at ``ALPHA``) for the target
    against the source, by McNemar's paired test, as ``agility compare`` decides."""
    if mcnemar(source, target).p_value >= ALPHA:
        return "same"
    return "better" if target.mean() > source.mean() else "worse"


@dataclass(frozen=True)
class PairOutcome:
    """One pair of configurations judged by the grader and by the experts."""

    source: str
    target: str
    human_decision: str
    grader_decision: str
    human_diff_points: float
    grader_diff_points: float

    @property
    def agrees(self) -> bool:
        """Whether the grader leads to the experts' decision."""
        return self.human_decision == self.grader_decision

    @property
    def error_points(self) -> float:
        """How far the grader's difference in correctness is from the experts'."""
        return abs(self.grader_diff_points - self.human_diff_points)


def compare_pairs(rows: Iterable[Mapping], verdict_of: Callable[[Mapping], str],
                  configs: Iterable[str] | None = None,
                  involving: Callable[[str, str], bool] | None = None) -> list[PairOutcome]:
    """Every pair of configurations, decided on correctness by the grader and the experts.

    Args:
        rows: labelled rows (``config``, ``financebench_id``, ``label``).
        verdict_of: the grader's verdict for a row.
        configs: the configurations to pair (default: all).
        involving: keep only the pairs for which this is true.
    """
    by_config: dict[str, dict[str, tuple[bool, bool]]] = {}
    for row in rows:
        by_config.setdefault(row["config"], {})[row["financebench_id"]] = (
            normalize_label(row["label"]) == "correct", verdict_of(row) == "correct")
    names = sorted(configs if configs is not None else by_config)
    out = []
    for source, target in itertools.combinations(names, 2):
        if involving is not None and not involving(source, target):
            continue
        ids = sorted(set(by_config[source]) & set(by_config[target]))
        human = [np.array([by_config[c][i][0] for i in ids]) for c in (source, target)]
        graded = [np.array([by_config[c][i][1] for i in ids]) for c in (source, target)]
        out.append(PairOutcome(
            source, target, decision(*human), decision(*graded),
            100 * float(human[1].mean() - human[0].mean()),
            100 * float(graded[1].mean() - graded[0].mean())))
    return out


def summarize_pairs(pairs: list[PairOutcome]) -> dict[str, float | int | None]:
    """Share of pairs whose decisions agree and the mean error of the difference (points)."""
    if not pairs:
        return {"pairs": 0, "agree": None, "mean_error_points": None}
    return {"pairs": len(pairs), "agree": sum(p.agrees for p in pairs) / len(pairs),
            "mean_error_points": sum(p.error_points for p in pairs) / len(pairs)}


@dataclass(frozen=True)
class ConfigBias:
    """How far the grader's count of correct answers in one configuration is from the
    experts', taken apart by kind of disagreement (answers, not points)."""

    config: str
    n: int
    human_correct: int
    grader_correct: int
    #: the experts say incorrect / refusal, the grader correct
    credit_incorrect: int
    credit_refusal: int
    #: the experts say correct, the grader incorrect / refusal
    false_incorrect: int
    false_refusal: int
    #: the experts' other two classes
    human_incorrect: int = 0
    human_refusal: int = 0

    @property
    def bias(self) -> int:
        """Grader's correct minus the experts' correct (false credit minus false non-credit)."""
        return self.grader_correct - self.human_correct

    @property
    def disagreements(self) -> int:
        """Answers on which the two disagree on correct / not correct."""
        return (self.credit_incorrect + self.credit_refusal + self.false_incorrect
                + self.false_refusal)


def config_biases(rows: Iterable[Mapping], verdict_of: Callable[[Mapping], str]
                  ) -> list[ConfigBias]:
    """The grader's bias per configuration, by kind of disagreement.

    With the same questions in every configuration, the error of a pair's difference in
    correctness is exactly the difference of the two configurations' biases: |b_target -
    b_source| / n.
    """
    counts: dict[str, dict[tuple[str, str], int]] = {}
    for row in rows:
        key = (normalize_label(row["label"]), verdict_of(row))
        config = counts.setdefault(row["config"], {})
        config[key] = config.get(key, 0) + 1
    out = []
    for config, c in sorted(counts.items()):
        def get(h: str, g: str, c: dict = c) -> int:
            return c.get((h, g), 0)
        out.append(ConfigBias(
            config, sum(c.values()), sum(v for (h, _), v in c.items() if h == "correct"),
            sum(v for (_, g), v in c.items() if g == "correct"),
            get("incorrect", "correct"), get("refusal", "correct"),
            get("correct", "incorrect"), get("correct", "refusal"),
            sum(v for (h, _), v in c.items() if h == "incorrect"),
            sum(v for (h, _), v in c.items() if h == "refusal")))
    return out


def _mean_pair_gap(biases: np.ndarray, pairs: np.ndarray) -> float:
    gaps = np.abs(biases[:, None] - biases[None, :])
    return float(gaps[pairs].mean())


def _homogeneity(credit: np.ndarray, total: np.ndarray, share: float) -> float:
    """Pearson's chi-square of the false-credit share across configurations."""
    keep = total > 0
    expected = total[keep] * share
    other = total[keep] - expected
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = ((credit[keep] - expected) ** 2 / np.where(expected > 0, expected, np.inf)
                 + (total[keep] - credit[keep] - other) ** 2 / np.where(other > 0, other, np.inf))
    return float(terms.sum())


def noise_floor(biases: list[ConfigBias], *, involving: Iterable[str] | None = None,
                draws: int = 4000, seed: int = 13) -> dict[str, float]:
    """What the mean error of a pair's difference would be if the grader's disagreements
    were noise: every configuration keeps its number of correct / not-correct disagreements,
    and each is a false credit with the same chance everywhere (the pooled share), so no
    configuration is favoured. Compares the observed mean error, and the spread of the
    false-credit share across configurations (Pearson's chi-square), with that null.

    Returns:
        ``observed`` and ``expected`` mean error (points), the null's 5th/95th percentiles,
        ``p_error`` (share of null draws at least as far off as observed), ``chi2``, its
        degrees of freedom and ``p_chi2`` (share of null draws at least as heterogeneous).
        With ``involving``, the mean error is over the pairs with one of those
        configurations (the chi-square stays over all of them). ``class_rate_*``: the same
        under the other model, fixed error rates per expert class (a bias that follows each
        configuration's mix of classes); ``class_rate_p_at_most`` is the share of its draws
        no farther off than observed.
    """
    names = [b.config for b in biases]
    marked = np.array([involving is None or name in set(involving) for name in names])
    pairs = np.triu(np.ones((len(names), len(names)), dtype=bool), 1) & (
        marked[:, None] | marked[None, :])
    n = np.array([b.n for b in biases], dtype=float)
    total = np.array([b.disagreements for b in biases])
    credit = np.array([b.credit_incorrect + b.credit_refusal for b in biases])
    share = float(credit.sum() / total.sum()) if total.sum() else 0.5
    observed = _mean_pair_gap(100 * (2 * credit - total) / n, pairs)
    chi2 = _homogeneity(credit, total, share)
    rng = np.random.default_rng(seed)
    gaps, chis = [], []
    for _ in range(draws):
        drawn = rng.binomial(total, share)
        gaps.append(_mean_pair_gap(100 * (2 * drawn - total) / n, pairs))
        chis.append(_homogeneity(drawn, total, share))
    gaps_a, chis_a = np.array(gaps), np.array(chis)
    # the other model: the grader errs at a fixed rate per expert class (credits an incorrect
    # answer with one chance, a refusal with another, denies a correct one with a third), so
    # a configuration's bias follows its mix of classes and the grader compresses
    # differences (more correct answers, more of them denied)
    classes = [np.array([getattr(b, f) for b in biases]) for f in (
        "human_incorrect", "human_refusal", "human_correct")]
    errs = [np.array([b.credit_incorrect for b in biases]),
            np.array([b.credit_refusal for b in biases]),
            np.array([b.false_incorrect + b.false_refusal for b in biases])]
    rates = [float(e.sum() / c.sum()) if c.sum() else 0.0 for e, c in zip(errs, classes,
                                                                         strict=True)]
    by_class = []
    for _ in range(draws):
        drawn = [rng.binomial(c, r) for c, r in zip(classes, rates, strict=True)]
        by_class.append(_mean_pair_gap(100 * (drawn[0] + drawn[1] - drawn[2]) / n, pairs))
    class_a = np.array(by_class)
    return {"observed": observed, "expected": float(gaps_a.mean()),
            "class_rate_expected": float(class_a.mean()),
            "class_rate_p05": float(np.percentile(class_a, 5)),
            "class_rate_p95": float(np.percentile(class_a, 95)),
            "class_rate_p_at_most": float((class_a <= observed + 1e-9).mean()),
            "p05": float(np.percentile(gaps_a, 5)), "p95": float(np.percentile(gaps_a, 95)),
            "p_error": float((gaps_a >= observed - 1e-9).mean()),
            "false_credit_share": share, "chi2": chi2, "df": int((total > 0).sum() - 1),
            "p_chi2": float((chis_a >= chi2 - 1e-9).mean())}


# Meaning-preserving restylings: how other model families format the same answer. A grader
# that holds on answer styles it was not tuned on gives each restyled answer the verdict of
# the answer as recorded.
_FIGURE = re.compile(r"(?<![\w.$])(\$?\d[\d,]*(?:\.\d+)?%?(?: (?:million|billion|thousand))?)")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


def _bold_figures(answer: str) -> str:
    return _FIGURE.sub(r"**\1**", answer)


def _latex(answer: str) -> str:
    # "7.9\%", "\$1,577", figures in inline math "\(0.54\)"
    text = re.sub(r"(\d)%", r"\1\\%", answer)
    return re.sub(r"\$(\d[\d,]*(?:\.\d+)?)", r"\\$\1", text)


def _headings(answer: str) -> str:
    paragraphs = [p for p in answer.split("\n\n") if p.strip()]
    return "\n\n".join(("## Analysis\n" if i == 0 else f"### Step {i}\n") + p
                       for i, p in enumerate(paragraphs))


def _courtesies(answer: str) -> str:
    return ("Sure, I'd be happy to help with that!\n\n" + answer
            + "\n\nI hope this helps! Let me know if you have any other questions.")


def _thinking(answer: str) -> str:
    return "<think>\nLet me look at the figures the question needs first.\n</think>\n\n" + answer


def _html(answer: str) -> str:
    return _FIGURE.sub(r"<b>\1</b>", answer).replace("\n\n", "<br><br>\n")


def _billions(answer: str) -> str:
    # "$1,577 million" as "$1.577 billion" (amounts of a billion or more)
    def written(m: re.Match[str]) -> str:
        value = float(m.group(1).replace(",", ""))
        return m.group(0) if value < 1000 else f"${value / 1000:.3f} billion"
    return re.sub(r"\$\s?(\d[\d,]*(?:\.\d+)?) million", written, answer)


def _percent_words(answer: str) -> str:
    return re.sub(r"(\d)%", r"\1 percent", answer)


def _currency_code(answer: str) -> str:
    return re.sub(r"\$\s?(\d[\d,]*(?:\.\d+)?) million", r"USD \1m", answer)


def _si_groups(answer: str) -> str:
    # "1,577" as "1 577" (a narrow no-break space between digit groups)
    return re.sub(r"(\d),(\d{3})", "\\1\u202f\\2", answer)


_SENTENCE_STOP = re.compile(r"([a-z0-9%)])\.(\s|$)")


def _bracket_citations(answer: str) -> str:
    # a retrieval pipeline's citations after each sentence: "... $1,577 million [2]."
    count = iter(range(1, 10_000))
    return _SENTENCE_STOP.sub(lambda m: f"{m.group(1)} [{next(count)}].{m.group(2)}", answer)


def _source_citations(answer: str) -> str:
    return _SENTENCE_STOP.sub(r"\1 (Source: Form 10-K, page 45).\2", answer, count=2)


_OPENERS = re.compile(r"\b(Therefore|Thus|Hence|So|In conclusion|Overall|Consequently),")
_OTHER_OPENERS = ("To sum up,", "All in all,", "Ultimately,", "Taken together,", "Accordingly,",
                  "In summary,", "The bottom line:")


def _other_openers(answer: str) -> str:
    # "Therefore, ..." as other writers open a conclusion, one of seven per answer
    opener = _OTHER_OPENERS[sum(map(ord, answer[:40])) % len(_OTHER_OPENERS)]
    return _OPENERS.sub(opener, answer)


def _prose(answer: str) -> str:
    # one paragraph: every line a sentence (a full stop where it had none), lists inline
    lines = [line.strip() for line in answer.split("\n") if line.strip()]
    return " ".join(line if re.search(r"[.!?:;]$", line) else line + "." for line in lines)


def _curly_quotes(answer: str) -> str:
    # typographic apostrophes and quotes: "don\u2019t", "AMD\u2019s", \u201cadjusted\u201d
    text = re.sub(r"(\w)'(\w)", "\\1\u2019\\2", answer)
    return re.sub(r'"([^"\n]*)"', "\u201c\\1\u201d", text)


def _code_after(answer: str) -> str:
    # "$1,577 million" as "1,577 million USD"
    return re.sub(r"\$\s?(\d[\d,]*(?:\.\d+)?) (million|billion)", r"\1 \2 USD", answer)


def _scale_letters(answer: str) -> str:
    # "$1,577 million" as "$1,577M", "$1.5 billion" as "$1.5B"
    text = re.sub(r"\$\s?(\d[\d,]*(?:\.\d+)?) million", r"$\1M", answer)
    return re.sub(r"\$\s?(\d[\d,]*(?:\.\d+)?) billion", r"$\1B", text)


def _no_separators(answer: str) -> str:
    # "1,577" as "1577", "1,234,567" as "1234567"
    text = re.sub(r"(\d),(\d{3}),(\d{3})(?!\d)", r"\1\2\3", answer)
    return re.sub(r"(\d),(\d{3})(?!\d)", r"\1\2", text)


def _unicode_minus(answer: str) -> str:
    return re.sub(r"(?<!\w)-(?=\$?\d)", "\u2212", answer)


def _approximately_sign(answer: str) -> str:
    return re.sub(r"\bapproximately (?=(?:\*\*)?\$?\d)", "\u2248", answer)


def _step_labels(answer: str) -> str:
    # "**Step 2:** " before each paragraph of an answer of several
    paragraphs = [p for p in answer.split("\n\n") if p.strip()]
    if len(paragraphs) < 2:
        return answer
    # a list or table starts on the line under its label
    return "\n\n".join(f"**Step {i}:**" + ("\n" if re.match(r"\s*(?:[-*|\u2022]|\d{1,2}[.)])", p)
                                           else " ") + p
                       for i, p in enumerate(paragraphs, 1))


def _other_markers(answer: str) -> str:
    # "- item" as "\u2022 item", "1. item" as "1) item"
    text = re.sub(r"(?m)^(\s*)- ", "\\1\u2022 ", answer)
    return re.sub(r"(?m)^(\s*)(\d{1,2})\. ", r"\1\2) ", text)


def _table(answer: str) -> str:
    # "- Label: value" lines as the rows of a Markdown table
    out: list[str] = []
    rows = False
    for line in answer.split("\n"):
        item = re.match(r"^\s*[-*] (?:\*\*)?([^:\n]{1,60}?)(?:\*\*)?: (.+)$", line)
        if item is None:
            rows = False
            out.append(line)
            continue
        if not rows:
            out += ["| Item | Value |", "|---|---|"]
            rows = True
        out.append(f"| {item.group(1)} | {item.group(2)} |")
    return "\n".join(out)


def _thinking_end_only(answer: str) -> str:
    # a chat template that opens the thinking itself leaves only "</think>" in the output
    return "Let me look at the figures the question needs first.\n</think>\n\n" + answer


def _windows_lines(answer: str) -> str:
    return answer.replace("\n", "\r\n")


def _link_citations(answer: str) -> str:
    # a web-grounded model's citations: "... $1,577 million ([10-K, p. 45](https://...))."
    return _SENTENCE_STOP.sub(r"\1 ([10-K, p. 45](https://www.sec.gov/Archives/edgar/data/66740/"
                              r"000006674019000010/a10-k2018.htm)).\2", answer, count=2)


def _italics(answer: str) -> str:
    # every paragraph of prose in italics (lists, tables, headings and paragraphs that hold
    # a "*" of their own as they were)
    return "\n\n".join(f"*{p.strip()}*" if p.strip() and "*" not in p
                       and not re.match(r"\s*(?:[-|#\u2022]|\d{1,2}[.)])", p) else p
                       for p in answer.split("\n\n"))


RESTYLINGS: dict[str, Callable[[str], str]] = {
    "figures in **bold**": _bold_figures,
    "LaTeX escapes (7.9\\%, \\$1,577)": _latex,
    "Markdown headings": _headings,
    "courtesies before and after": _courtesies,
    "a closed <think> block first": _thinking,
    "inline HTML (<b>, <br>)": _html,
    "amounts in billions ($1.577 billion)": _billions,
    "'percent' for '%'": _percent_words,
    "a currency code (USD 1,577m)": _currency_code,
    "SI digit groups (1 577, narrow space)": _si_groups,
    "a citation after each sentence ([1], [2])": _bracket_citations,
    "(Source: Form 10-K, page 45) twice": _source_citations,
    "other conclusion openers (To sum up, All in all, ...)": _other_openers,
    "one paragraph of prose (lists inline)": _prose,
    "curly quotes and apostrophes (don\u2019t)": _curly_quotes,
    "a code after the amount (1,577 million USD)": _code_after,
    "scale letters ($1,577M, $1.5B)": _scale_letters,
    "no digit separators (1577)": _no_separators,
    "a unicode minus (\u22123.2%)": _unicode_minus,
    "'\u2248' for 'approximately'": _approximately_sign,
    "'Step 1:' before each paragraph": _step_labels,
    "other list markers (\u2022, 1))": _other_markers,
    "'- Label: value' lines as a Markdown table": _table,
    "only a closing </think> (the template opens it)": _thinking_end_only,
    "Windows line ends (CRLF)": _windows_lines,
    "'---' rules between paragraphs": lambda a: a.replace("\n\n", "\n\n---\n\n"),
    "the first paragraph as a blockquote ('> ')":
        lambda a: "\n\n".join("> " + p if i == 0 else p for i, p in enumerate(a.split("\n\n"))),
    "an offer after ('Would you like me to break this down ...?')":
        lambda a: a + "\n\nWould you like me to break this down further by segment or year?",
    "the whole answer in a code fence (```)": lambda a: "```\n" + a + "\n```",
    "Markdown link citations ([10-K, p. 45](https://...)) twice": _link_citations,
    "amounts spelled in parentheses ((USD 1,577 million))":
        lambda a: re.sub(r"\$\s?(\d[\d,]*(?:\.\d+)?) (million|billion)", r"(USD \1 \2)", a),
    "'x' for 'times' (2.04x)": lambda a: re.sub(r"(\d) times\b", r"\1x", a),
    "paragraphs in italics (*...*)": _italics,
}


def _source_lead_in(answer: str, question: str) -> str:
    # "The capex was ..." as "Based on the information provided in the 10-K, the capex was
    # ..." (only where the first word is an article: a name keeps its capital)
    opening = answer.lstrip()
    if not re.match(r"(?:The|As of (?!my))\b", opening):
        return answer
    return "Based on the information provided in the 10-K, " + opening[0].lower() + opening[1:]


# How current models frame an answer: the question restated, a header, a sources or
# confidence line, disclaimers. Each takes the answer and its question.
FRAMINGS: dict[str, Callable[[str, str], str]] = {
    "the question restated (**Question:** ... **Answer:**)":
        lambda a, q: f"**Question:** {q}\n\n**Answer:**\n{a}",
    "the question repeated word for word first": lambda a, q: f"{q}\n\n{a}",
    "an '## Answer' heading first": lambda a, q: f"## Answer\n\n{a}",
    "a disclaimer after (rounding; consult the 10-K for details)":
        lambda a, q: a + "\n\nNote: This analysis is based solely on the provided filing; "
        "figures may differ slightly due to rounding. Please consult the full 10-K for "
        "complete details.",
    "'This is not financial advice.' after":
        lambda a, q: a + "\n\n*This is not financial advice.*",
    "a sources line after (Form 10-K (2022), p. 45)":
        lambda a, q: a + "\n\nSources: Form 10-K (2022), Consolidated Statements of Cash "
        "Flows, p. 45; Note 7.",
    "'Confidence: High' after": lambda a, q: a + "\n\nConfidence: High",
    # structured output: the answer as a JSON object's value (escaped: "\n" is two characters)
    "the answer as a JSON object ({\"answer\": ...})": lambda a, q: json.dumps({"answer": a}),
    "a fenced JSON object with sources and confidence fields":
        lambda a, q: "```json\n" + json.dumps({"response": a, "sources": ["Form 10-K"],
                                                 "confidence": "high"}, indent=2) + "\n```",
    "a nested JSON object ({\"result\": {\"answer\": ..., \"confidence\": 0.9}})":
        lambda a, q: json.dumps({"result": {"answer": a, "confidence": 0.9},
                                 "metadata": {"model": "x", "latency_ms": 812}}),
    "the question as 'Q:', the answer as 'A:'": lambda a, q: f"Q: {q}\nA: {a}",
    "a source lead-in (Based on the information provided in the 10-K, the ...)": _source_lead_in,
    "an announcement first (Okay, let's break this down step by step:)":
        lambda a, q: "Okay, let's break this down step by step:\n\n" + a,
    "a closing courtesy (I hope this explanation helps clarify ...)":
        lambda a, q: a + "\n\nI hope this explanation helps clarify the figures. Let me know if "
        "you need any clarification or have additional questions!",
}


def _all_framings(answer: str, question: str) -> str:
    for name in ("the question restated (**Question:** ... **Answer:**)",
                 "a disclaimer after (rounding; consult the 10-K for details)",
                 "a sources line after (Form 10-K (2022), p. 45)", "'Confidence: High' after",
                 "'This is not financial advice.' after"):
        answer = FRAMINGS[name](answer, question)
    return answer


FRAMINGS["all five framings after or around the answer at once"] = _all_framings


def _all_at_once(answer: str) -> str:
    # every restyling above that keeps the others' input intact, one after another
    for name in _COMPOSED:
        answer = RESTYLINGS[name](answer)
    return answer


# in an order where none undoes another (prose last would join the table's rows)
_COMPOSED = ("figures in **bold**", "'- Label: value' lines as a Markdown table",
             "'Step 1:' before each paragraph", "a code after the amount (1,577 million USD)",
             "'\u2248' for 'approximately'", "curly quotes and apostrophes (don\u2019t)",
             "a citation after each sentence ([1], [2])", "courtesies before and after",
             "only a closing </think> (the template opens it)", "Windows line ends (CRLF)")
RESTYLINGS["all of ten restylings at once"] = _all_at_once
