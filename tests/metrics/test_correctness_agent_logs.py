"""Agents' logs as answers, and terse, coarse or pointed-back answers of other families (issue
13, correctness version 23). An agent under test returns its run: tool calls, what the tools
gave back, and a submission. Made-up answers in the verbatim formats of common agent
frameworks; the cases marked "fails on 22" were counted by running them on version 22, the
others are controls that hold what version 22 already read."""

from __future__ import annotations

import json

import pytest

from agility.metrics import MetricInput, get_metric, judge_financial_answer

Q = ("What is the FY2022 capital expenditure amount (in USD millions) for Kestrel Labs? Give a "
     "response to the question by relying on the details shown in the cash flow statement.")
GOLD = "$1577.00"
# what the tool gave back: the gold's figure and the two years before it
OBS = "Purchases of property, plant and equipment (PP&E) (1,577) (1,373) (1,420)"


def _openai(*tail: dict[str, object]) -> str:
    call = {"id": "c1", "type": "function",
            "function": {"name": "doc_search", "arguments": json.dumps({"q": "capex 2022"})}}
    return json.dumps([{"role": "user", "content": Q},
                       {"role": "assistant", "content": None, "tool_calls": [call]},
                       {"role": "tool", "tool_call_id": "c1", "content": OBS}, *tail], indent=2)


def _submit_call(arguments: dict[str, object]) -> dict[str, object]:
    call = {"id": "c2", "type": "function",
            "function": {"name": "submit", "arguments": json.dumps(arguments)}}
    return {"role": "assistant", "content": None, "tool_calls": [call]}


CASES = [
    # LangChain's AgentExecutor: a run stopped by its iteration limit answers nothing, whatever
    # its observations held (fails on 22: no figure, so incorrect)
    ("langchain stopped", "refusal",
     "> Entering new AgentExecutor chain...\nThought: I should read the cash flow statement.\n"
     f"Action: doc_search\nAction Input: Kestrel 2022 capex\nObservation: {OBS}\nThought: I "
     "need the 2021 column too.\nAction: doc_search\nAction Input: Kestrel 2021 capex\n\n"
     "Agent stopped due to iteration limit or time limit.\n\n> Finished chain."),
    # (its "Final Answer:" is the answer, as version 22 read it)
    ("langchain final answer", "correct",
     "Thought: I should read the cash flow statement.\nAction: doc_search\nAction Input: "
     f"Kestrel 2022 capex\nObservation: {OBS}\nThought: I now know the final answer\n"
     "Final Answer: Kestrel's FY2022 capital expenditure was $1,577 million."),
    # the ReAct paper's Finish[...] submits (version 22 credited it for the observation's
    # 1,577, whatever was submitted)
    ("react finish", "correct",
     f"Thought 1: I need the cash flow statement.\nAction 1: Search[Kestrel 2022 capex]\n"
     f"Observation 1: {OBS}\nThought 2: The first column is FY2022.\n"
     "Action 2: Finish[$1,577 million]"),
    # (and a submission of another column is another answer, whatever the observation held;
    # fails on 22: the observation's gold figure was credited)
    ("react finish, other column", "incorrect",
     f"Thought 1: I need the cash flow statement.\nAction 1: Search[Kestrel capex]\n"
     f"Observation 1: {OBS}\nThought 2: The middle column.\nAction 2: Finish[1,373]"),
    # smolagents' CodeAgent: final_answer(...) inside its code submits (fails on 22: the
    # code was dropped and the observation read)
    ("smolagents final_answer", "incorrect",
     "Thought: I will search the filing.\nCode:\n```py\nr = doc_search(query=\"Kestrel "
     f"capex\")\nprint(r)\n```<end_code>\nObservation: Execution logs:\n{OBS}\nLast output "
     "from code snippet:\nNone\nCode:\n```py\nfinal_answer(1420)\n```<end_code>"),
    ("smolagents final_answer, the gold", "correct",
     "Thought: I will search the filing.\nCode:\n```py\nr = doc_search(query=\"Kestrel "
     f"capex\")\nprint(r)\n```<end_code>\nObservation: Execution logs:\n{OBS}\nCode:\n```py\n"
     "final_answer(\"$1,577 million\")\n```<end_code>"),
    # a log whose steps open with markers: "> tool NAME {...}" and "< result", "> submit
    # {...}" (fails on 22: a figure of the observation was credited)
    ("marked steps, submit", "incorrect",
     "> plan: capex on the FY2022 cash flow statement\n> tool fin_search {\"doc\": \"KESTREL_"
     f"2022_10K\", \"q\": \"purchases of PP&E\"}}\n  < p.61 \"{OBS}\"\n> submit {{\"answer\": "
     "\"$1,373 million\"}\n[run] steps 2/12 | tokens 2,118"),
    # a submission whose answer field is null answers nothing (fails on 22: correct)
    ("marked steps, null answer", "refusal",
     f"> tool fin_search {{\"q\": \"capex\"}}\n  < {OBS}\n> tool calc {{\"expr\": "
     "\"1577+0\"}  < 1577\n> submit {\"answer\": null, \"flag\": \"HUMAN_REVIEW\", \"note\": "
     "\"gross vs net capex ambiguous\"}"),
    # a run halted before submitting answers nothing (fails on 22: correct)
    ("marked steps, halted", "refusal",
     f"> tool fin_search {{\"q\": \"capex\"}}\n  < {OBS}\n> tool verify {{\"value\": 1577}}  "
     "< timeout\n[halt] max_steps reached (12/12) - no submit\n[run] tokens 9,840"),
    # a JSON transcript of an OpenAI tool-calling run: its last assistant message answers
    ("openai transcript, final message", "correct",
     _openai({"role": "assistant",
              "content": "Kestrel's FY2022 capital expenditure was $1,577 million."})),
    # (one that ends on the tool's result answers nothing; fails on 22: correct)
    ("openai transcript, ends on the tool", "refusal", _openai()),
    # (one whose last call submits answers with what it submits; fails on 22: the
    # observation's figures were read)
    ("openai transcript, submit call", "incorrect", _openai(_submit_call({"answer": "1,420"}))),
    ("openai transcript, submit call, the gold", "correct",
     _openai(_submit_call({"answer": "$1,577 million"}))),
    # Hermes-style tags: a <tool_call> naming submit submits; prose after the last
    # <tool_response> answers (fails on 22: the response's 1,577 was credited)
    ("hermes tags, submit", "correct",
     "<tool_call>\n{\"name\": \"doc_search\", \"arguments\": {\"q\": \"capex\"}}\n"
     f"</tool_call>\n<tool_response>\n{OBS}\n</tool_response>\n<tool_call>\n{{\"name\": "
     "\"submit\", \"arguments\": {\"answer\": \"$1,577 million\"}}\n</tool_call>"),
    ("hermes tags, prose after", "incorrect",
     "<tool_call>\n{\"name\": \"doc_search\", \"arguments\": {\"q\": \"capex\"}}\n"
     f"</tool_call>\n<tool_response>\n{OBS}\n</tool_response>\nBased on the cash flow "
     "statement, Kestrel's FY2022 capital expenditure was $1,373 million."),
    # a role-labelled log: "tool_call: submit({...})"; a submission that declines declines
    ("role-labelled log, submit", "correct",
     f"assistant: I'll search the 10-K.\ntool_call: doc_search({{\"q\": \"capex\"}})\ntool: "
     f"{OBS}\ntool_call: submit({{\"answer\": \"1577\"}})"),
    ("role-labelled log, declining submission", "refusal",
     "tool_call: doc_search({\"q\": \"capex\"})\ntool: no results\ntool_call: submit("
     "{\"answer\": \"I could not find the cash flow statement, so I cannot give the FY2022 "
     "capex.\"})"),
    # smolagents reports what an expression it submitted came to ("Out - Final answer:"):
    # that is the answer, not the expression's digits (version 23 before it read "2)" of
    # "round(ratio, 2)"; version 22 read the whole log and found 1577 somewhere)
    ("smolagents, submitted expression", "correct",
     "\u2501\u2501\u2501\u2501 Step 1 \u2501\u2501\u2501\u2501\nOutput message of the LLM: "
     "\u2500\u2500\u2500\u2500\nThought: Compute the ratio.\nCode:\n```py\nratio = 6489 / "
     "((253 + 282) / 2)\nfinal_answer(round(ratio, 2))\n```<end_code>\n \u2500 Executing parsed "
     "code: \u2500\u2500\u2500\n  final_answer(round(ratio, 2))\nExecution logs:\n24.26\nOut: 24.26\n"
     "[Step 1: Duration 2.4 seconds| Input tokens: 2,750 | Output tokens: 180]\n"
     "Out - Final answer: 1577"),
    # a chat template's last assistant turn answers, after the tool's response (version 22
    # read no figure in it: "states no figure")
    ("chatml turns", "incorrect",
     "<|im_start|>user\nWhat was Kestrel's FY2022 capex?<|im_end|>\n<|im_start|>assistant\n"
     "<tool_call>\n{\"name\": \"search_filings\", \"arguments\": {\"query\": \"capex\"}}\n"
     f"</tool_call><|im_end|>\n<|im_start|>user\n<tool_response>\n{OBS}\n</tool_response>"
     "<|im_end|>\n<|im_start|>assistant\nKestrel's FY2022 capital expenditure was $1,420 "
     "million.<|im_end|>"),
    # LangChain's parse errors and an inspect sample cut off by its limit answer nothing
    # (fail on 22: incorrect)
    ("langchain parse errors", "refusal",
     "> Entering new AgentExecutor chain...\nCould not parse LLM output: `I will look up the "
     "cash flow statement.`\nObservation: Invalid or incomplete response\nThought:Could not "
     "parse LLM output: `Searching for capex.`\nObservation: Invalid or incomplete response\n"
     "Thought:\n\n> Finished chain.\nAgent stopped due to iteration limit or time limit."),
    ("inspect sample terminated", "refusal",
     "[user]\nWhat is Kestrel's FY2022 capex?\n\n[assistant]\nSearching.\n\nTool call: "
     "search_filings(company=\"Kestrel\", query=\"capex\")\n\n[tool: search_filings]\nNo "
     "results.\n\n[error]\nSample terminated: message limit (12) exceeded."),
    # a pipeline that answers nothing: LlamaIndex's "Empty Response", a null answer field
    # (fail on 22)
    ("llamaindex empty response", "refusal",
     "Final Response: Empty Response\n" + "_" * 70 + "\n"),
    ("rag json, null answer", "refusal",
     json.dumps({"answer": None, "sources": [], "confidence": 0.0,
                 "error": "no passages above similarity threshold (0.75)"}, indent=2)),
    # LlamaIndex's ReAct agent answers under "Answer:" right after its last thought: the
    # label ends the thought's run (a draft of version 23 read the line as the thought's)
    ("llamaindex react answer", "incorrect",
     "Thought: The current language of the user is: English. I need to use a tool.\nAction: "
     "search\nAction Input: {'query': 'Kestrel capex 2022'}\nObservation: " + OBS + "\n"
     "Thought: I can answer without using any more tools.\nAnswer: Kestrel's FY2022 capital "
     "expenditure was $1,373 million."),
    # while an error a tool reported runs on with its result: it is no answer (a draft of
    # version 23 read "ToolError: ..." as one)
    ("inspect tool error, terminated", "refusal",
     "[assistant]\nSearching.\n\nTool call: search_filings(company=\"Kestrel\", query=\"capex\")"
     "\n\n[tool: search_filings]\nToolError: Timed out after 180 seconds.\n\n[error]\nSample "
     "terminated: working time limit (300s) exceeded."),
    # a role in brackets opening a line of content keeps the content
    ("bracketed role with content", "correct",
     "Tool call: search_filings(query=\"capex\")\n[tool: search_filings]\n" + OBS + "\n\n"
     "[assistant] Kestrel's FY2022 capital expenditure was $1,577 million."),
    # controls: prose that speaks of a tool or an action is no log
    ("prose naming a tool", "correct",
     "Using the cash flow statement as a tool, Kestrel's FY2022 capital expenditure was $1,577 "
     "million."),
    ("prose under an action label", "correct",
     "Action: none needed. Kestrel's FY2022 capital expenditure was $1,577 million."),
]


@pytest.mark.parametrize(("name", "expected", "answer"), CASES, ids=[c[0] for c in CASES])
def test_an_agents_log_answers_with_what_it_submits(name: str, expected: str, answer: str
                                                    ) -> None:
    judgement = judge_financial_answer(Q, GOLD, answer)
    assert judgement.verdict == expected, judgement.reason
    # the reason's figures are the answer's, where it wrote them
    for cited in judgement.cited:
        assert answer[cited.start:cited.end] == cited.text, (cited, judgement.reason)


def test_a_halted_run_is_no_answer_to_the_answered_metric() -> None:
    metric = get_metric("answered")
    halted = next(answer for name, _, answer in CASES if name == "marked steps, halted")
    result = metric.score(MetricInput(example_id="x", question=Q, output=halted))
    assert (result.verdict, result.passed) == ("refusal", False)
    assert "agent's log" in result.reason
    submitted = next(answer for name, _, answer in CASES if name == "react finish")
    assert metric.score(MetricInput(example_id="y", question=Q, output=submitted)).passed


Q_WHICH = "What was the largest liability in Kestrel Labs's balance sheet in FY2022?"
Q_SEGMENT = "In FY2022 Q2, which of Kestrel Labs' business segments had the highest net income?"
G_SEGMENT = "Corporate & Investment Bank. Its net income was $3725 million."
Q_CHANGE = ("What is Kestrel Labs's year-over-year change in unadjusted operating income from "
            "FY2021 to FY2022 (in units of percents and round to one decimal place)?")
Q_DEBT = "Has Kestrel Labs increased its debt on balance sheet between FY2022 and FY2021?"
G_DEBT = "No. Kestrel's debt decreased by $229 million."
Q_STORES = "Was there any change in the number of Kestrel stores between Q2 of FY2024 and FY2023?"
G_STORES = "Yes, the number of stores declined by 1.32% from 982 in Q2 FY2023 to 969 in Q2 FY2024."
Q_MARGIN_CHANGE = ("What is the FY2021 - FY2022 change in unadjusted operating income % margin "
                   "for Kestrel Labs? Answer in units of percents and round to one decimal "
                   "place.")
Q_REGION = ("For Kestrel Labs, which geographic region had the biggest drop in Q2 2023 year over "
            "year revenues (on a percentage basis)?")
Q_LOWEST = "Which of Kestrel Labs' business segments had the lowest net revenue in 2021 Q1?"
G_LOWEST = "Corporate. Its net revenue was -$473 million."
Q_TOP_RECORD = ("Among all of the derivative instruments that Kestrel Labs used, which one had the "
                "highest notional value in FY 2021?")
G_TOP_RECORD = "Cross currency swaps. Its notional value was $32,502 million."
Q_REVENUE = "What was Kestrel Labs's revenue in FY2021?"
Q_INCOME = "What was Kestrel Labs' net income in FY2022?"
Q_CAPEX = "What were Kestrel Labs's capital expenditures in FY2022?"
Q_GROSS = "What was Kestrel Labs's gross margin in FY2022?"
Q_VOTE = ("What was the outcome of the shareholder proposal for a congruency report by "
          "Kestrel Labs on net-zero emissions policies?")
G_VOTE = ("The shareholder proposal for a congruency report by Kestrel Labs on net-zero "
          "emissions policies was defeated.")
Q_DEALS = "What are major acquisitions that Kestrel Labs has done in FY2023, FY2022 and FY2021?"
G_DEALS = ("Kestrel completed these acquisitions during FY2023: a flexibles plant in the Czech "
           "Republic and a medical packaging site in Shanghai.")


@pytest.mark.parametrize(("question", "gold", "answer", "expected"), [
    # a name with its figure set aside in brackets is a terse answer, not a table's row
    # (fails on 22: "makes no statement: only figures or line items")
    (Q_WHICH, "Customer deposits", "Customer deposits ($110.2bn)", "correct"),
    (Q_WHICH, "Customer deposits", "Long-term debt ($42.6bn)", "incorrect"),
    # (a table's row is still none)
    (Q_WHICH, "Customer deposits", "United States $ 1,204 Europe 800", "incorrect"),
    # the pick named with its initials before the kind (fails on 22: read "net income among
    # Kestrel's" as the pick)
    (Q_SEGMENT, G_SEGMENT, "In FY2022 Q2, the Corporate & Investment Bank (CIB) segment had "
     "the highest net income among Kestrel's business segments, with net income of $3,725 "
     "million. It was followed by Consumer & Community Banking with $3,100 million.",
     "correct"),
    (Q_SEGMENT, G_SEGMENT, "In FY2022 Q2, the Consumer & Community Banking (CCB) segment had "
     "the highest net income among Kestrel's business segments, with $3,100 million.",
     "incorrect"),
    # the levels a change went between, then the change (fails on 22: the levels read as the
    # answer)
    (Q_CHANGE, "65.4%", "Kestrel's operating income increased from $903.1 million in FY2021 "
     "to $1,493.6 million in FY2022 [1]. This represents a year-over-year change of 65.4%.",
     "correct"),
    (Q_CHANGE, "65.4%", "Operating income fell from $1,493.6 million in FY2021 to $903.1 "
     "million in FY2022. That is a year-over-year change of -39.5%.", "incorrect"),
    # (a size stated with the direction stays the answer)
    (Q_CHANGE, "65.4%", "Operating income increased by 12.0% from $903.1 million in FY2021 "
     "to $1,493.6 million in FY2022. This is a year-over-year change of 65.4%.", "incorrect"),
    # a coarse rounding of the gold's own value is no other value (fails on 22)
    (Q_DEBT, G_DEBT, "**No, Kestrel did not increase its debt.**\n\n* **Total debt (FY2022):** "
     "$150.6 billion\n* **Total debt (FY2021):** $150.9 billion\n\nTotal debt **decreased by "
     "approximately $0.2 billion** year over year.", "correct"),
    (Q_DEBT, G_DEBT, "No, Kestrel did not increase its debt. Total debt decreased by about $0.5 "
     "billion year over year.", "incorrect"),
    # a pick among the kind is no pick ("among Kestrel's business segments"; version 22
    # named "Q1 2021 among Kestrel's" as the pick in its reason)
    (Q_SEGMENT, G_SEGMENT, "Consumer & Community Banking had the highest net income in FY2022 "
     "Q2 among Kestrel's business segments.", "incorrect"),
    # "unchanged" answers no to a question about any change (fails on 22: implied yes), and
    # LlamaIndex's "Final Response:" labels the answer
    (Q_STORES, G_STORES, "Kestrel's store count was unchanged between FY2023 year end and Q2 "
     "FY2024.", "incorrect"),
    (Q_STORES, G_STORES, "Final Response: No. Kestrel's store count was unchanged.",
     "incorrect"),
    (Q_STORES, G_STORES, "Kestrel's store count changed between FY2023 year end and Q2 FY2024, "
     "falling to 969 from 982.", "correct"),
    # a vote's outcome the other way is another answer, whatever words it shares with the
    # gold (fails on 22: 89% of the gold's words); "not approved" is the gold's outcome
    (Q_VOTE, G_VOTE, "The shareholder proposal for a net-zero congruency report was approved "
     "by shareholders.", "incorrect"),
    (Q_VOTE, G_VOTE, "The shareholder proposal for a net-zero congruency report was not "
     "approved: it was defeated.", "correct"),
    # a change asked and given first, then the levels it is between: the levels are its
    # working (fails on 22: "concludes 4.1%")
    (Q_MARGIN_CHANGE, "0.2%", "Kestrel's unadjusted operating income margin increased by "
     "**0.2 percentage points** from FY2021 to FY2022.\n\n* FY2022: $21,957M / $514,405M = "
     "**4.3%**\n* FY2021: $20,437M / $500,343M = **4.1%**", "correct"),
    (Q_MARGIN_CHANGE, "0.2%", "Kestrel's operating margin increased by 0.5 percentage points "
     "from FY2021 to FY2022. FY2022: $21,957M / $514,405M = 4.3%. FY2021: $20,437M / $500,343M "
     "= 4.1%.", "incorrect"),
    # a question the writer calls another ("## Follow-up question") and answers after its
    # answer is no part of it (fails on 22: its "Answer:" was read)
    (Q_REGION, "Developed Rest of the World", "For Kestrel, the region with the biggest drop "
     "in Q2 2023 revenues on a percentage basis was Developed Rest of World, down 74% (from "
     "$5,034 million to $1,305 million).\n\n## Follow-up question\nWhich region had the "
     "smallest drop?\n\nAnswer: The United States had the smallest drop, at 45%.", "correct"),
    # a pick named alone before what is said of it, under the answer's label too, is the
    # pick, whatever figure of the gold's it gives (fails on 22: the gold's figure credited)
    (Q_SEGMENT, G_SEGMENT, "**Answer: Consumer & Community Banking, with net income of $3,725 "
     "million.**", "incorrect"),
    (Q_SEGMENT, G_SEGMENT, "Corporate & Investment Bank, with net income of $3,725 million.",
     "correct"),
    # (the kind it is among, "of Kestrel's reportable segments", is no pick; fails on 22)
    (Q_LOWEST, G_LOWEST, "In the first quarter of 2021, **Corporate** had the lowest net "
     "revenue of Kestrel's reportable segments, at **-$473 million** [1].", "correct"),
    # a value under a label of the question's words answers (fails on 22: "makes no
    # statement"), and one under a label that ranks is the pick (version 22 read it as
    # incorrect by its figure alone)
    (Q_WHICH, "Customer deposits", "{\n  \"largest_liability_2022\": \"Customer deposits\",\n"
     "  \"amount_usd_millions\": 110239\n}", "correct"),
    (Q_TOP_RECORD, G_TOP_RECORD, "```json\n{\"highest_notional_instrument_fy2021\": \"Interest "
     "rate swaps\", \"notional_usd_millions\": 19779}\n```", "incorrect"),
    # a figure given first as provisional, then put right, or put back in another year: the
    # later figure answers (each fails on 22)
    (Q_REVENUE, "$5.2 billion", "At first glance revenue looks like $5.4 billion, but that line "
     "includes other income. FY2021 revenue was $5.2 billion.", "correct"),
    (Q_INCOME, "$1.1 billion", "Initial estimate: net income of $1.1 billion. However, correcting "
     "for the sign error in the tax line above, net income for FY2022 was $0.9 billion.",
     "incorrect"),
    (Q_CAPEX, "$1.2 billion", "Capex was $1.5 billion. That's the figure for FY2021; FY2022 capex "
     "was $1.2 billion.", "correct"),
    (Q_GROSS, "40.1%", "The prior-year gross margin was 40.1%. That's the FY2021 figure; for "
     "FY2022 it's 38.7%.", "incorrect"),
    # (a figure stated plainly first stands: "looks like" alone takes nothing back)
    (Q_REVENUE, "$5.2 billion", "Revenue looks like $5.2 billion for FY2021. That line excludes "
     "other income of $0.2 billion.", "correct"),
    # that the source names nothing beyond the answer's pick declines nothing (fails on 22:
    # refusal)
    (Q_DEALS, G_DEALS, "Based on the information provided, Kestrel's major acquisition was "
     "Norda Systems, which it completed on June 11, 2019 for approximately $6.8 billion. The "
     "context does not mention other significant acquisitions in the period.", "incorrect"),
    # (while a source that names none at all still declines)
    (Q_DEALS, G_DEALS, "The context does not mention any acquisitions by Kestrel in FY2021 to "
     "FY2023.", "refusal"),
])
def test_terse_coarse_and_pointed_back_answers(question: str, gold: str, answer: str,
                                               expected: str) -> None:
    judgement = judge_financial_answer(question, gold, answer)
    assert judgement.verdict == expected, judgement.reason
