"""Agent frameworks' printed conversations and serialized results as answers (issue 13,
correctness version 23): AutoGen, CrewAI, LangGraph, Amazon Bedrock Agents traces,
Anthropic's content blocks, DSPy and Haystack results, tracebacks. Made-up runs in the
verbatim formats those frameworks print; the cases marked "fails on 22" were counted by
running them on version 22, the others hold what version 22 already read."""

from __future__ import annotations

import json

import pytest

from agility.metrics import MetricInput, get_metric, judge_financial_answer

Q = ("What is the FY2022 capital expenditure amount (in USD millions) for Kestrel Labs? Give a "
     "response to the question by relying on the details shown in the cash flow statement.")
GOLD = "$1577.00"
OBS = "Purchases of property, plant and equipment (PP&E) (1,577) (1,373) (1,420)"
RULE = "-" * 80


def _autogen(final: str) -> str:
    call = ("assistant (to user_proxy):\n\n***** Suggested tool call (call_1): search_10k *****\n"
            "Arguments: \n{\"query\": \"capex 2022\"}\n" + "*" * 60 + f"\n\n{RULE}\n\n"
            ">>>>>>>> EXECUTING FUNCTION search_10k...\nuser_proxy (to assistant):\n\n***** "
            f"Response from calling tool (call_1) *****\n{OBS}\n" + "*" * 60 + f"\n\n{RULE}\n")
    return call + final


def _langgraph(final: str) -> str:
    return ("================================ Human Message =================================\n\n"
            f"{Q}\n================================== Ai Message ==================================\n"
            "Tool Calls:\n  retrieve_filing (call_1)\n Call ID: call_1\n  Args:\n    query: capex\n"
            "================================= Tool Message =================================\n"
            f"Name: retrieve_filing\n\n{OBS}\n" + final)


def _crewai(final: str) -> str:
    return ("# Agent: Senior Financial Analyst\n## Task: " + Q + "\n\n\n# Agent: Senior Financial "
            "Analyst\n## Thought: I need the cash flow statement.\n## Using tool: Search a PDF's "
            "content\n## Tool Input: \n\"{\\\"query\\\": \\\"capex 2022\\\"}\"\n## Tool Output: \n"
            f"{OBS}\n\n\n# Agent: Senior Financial Analyst\n## Final Answer: \n{final}\n")


def _anthropic(*tail: dict[str, object]) -> str:
    return json.dumps([
        {"role": "user", "content": Q},
        {"role": "assistant", "content": [
            {"type": "text", "text": "I'll search the filing."},
            {"type": "tool_use", "id": "toolu_1", "name": "search_filings",
             "input": {"query": "capex"}}], "stop_reason": "tool_use"},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_1",
                                      "content": OBS}]}, *tail], indent=2)


def _assistant(text: str, stop: str = "end_turn") -> dict[str, object]:
    return {"role": "assistant", "type": "message",
            "content": [{"type": "text", "text": text}], "stop_reason": stop}


def _bedrock(final: dict[str, object] | None) -> str:
    events: list[dict[str, object]] = [
        {"trace": {"trace": {"orchestrationTrace": {"rationale": {"text": "Search the 10-K."}}}}},
        {"trace": {"trace": {"orchestrationTrace": {"observation": {
            "actionGroupInvocationOutput": {"text": json.dumps({"results": [{"text": OBS}]})},
            "type": "ACTION_GROUP"}}}}}]
    if final is not None:
        events.append(final)
    return json.dumps({"completion": events}, indent=2)


def _finished(text: str) -> dict[str, object]:
    return {"trace": {"trace": {"orchestrationTrace": {"observation": {
        "finalResponse": {"text": text}, "type": "FINISH"}}}}}


def _call(name: str, arguments: dict[str, object]) -> dict[str, object]:
    return {"role": "assistant", "content": [
        {"type": "text", "text": "Recording the answer."},
        {"type": "tool_use", "id": "toolu_9", "name": name, "input": arguments}]}


TRACEBACK = ("Traceback (most recent call last):\n  File \"/app/run.py\", line 61, in <module>\n"
             "    result = pipeline.run({\"query\": q})\nhaystack.core.errors.PipelineRuntimeError:"
             " Error code: 429 - {'error': {'message': 'Rate limit reached'}}")

CASES = [
    # AutoGen: the assistant's last message answers; "TERMINATE" ends the chat, and a run cut
    # at its maximum turns after the tool's response answers nothing (fails on 22: read the
    # response's figures)
    ("autogen answer", "incorrect",
     _autogen("assistant (to user_proxy):\n\nKestrel's FY2022 capex was $1,420 million.\n\n"
              f"TERMINATE\n\n{RULE}")),
    ("autogen answer, the gold", "correct",
     _autogen("assistant (to user_proxy):\n\nKestrel's FY2022 capex was $1,577 million.\n\n"
              f"TERMINATE\n\n{RULE}")),
    ("autogen maximum turns", "refusal",
     _autogen("\n>>>>>>>> TERMINATING RUN (4bb1): Maximum turns (4) reached")),
    # CrewAI: "## Final Answer:" answers, and one that declines declines (fails on 22: the
    # tool's output was credited), as does a run stopped at its limit (fails on 22)
    ("crewai final answer declines", "refusal",
     _crewai("I don't have enough information to determine Kestrel's FY2022 capital "
             "expenditure.")),
    ("crewai final answer", "correct", _crewai("Kestrel's FY2022 capex was $1,577 million.")),
    ("crewai stopped", "refusal",
     _crewai("Agent stopped due to iteration limit or time limit.")),
    # LangGraph's printed messages: the last AI message answers, an empty one or a recursion
    # error answers nothing (fail on 22)
    ("langgraph answer", "incorrect",
     _langgraph("================================== Ai Message =================================="
                "\n\nKestrel's FY2022 capital expenditure was $1,373 million.")),
    ("langgraph empty message", "refusal",
     _langgraph("================================== Ai Message =================================="
                "\n\n")),
    ("langgraph recursion error", "refusal",
     _langgraph("Traceback (most recent call last):\n  File \"/app/run_agent.py\", line 88, in "
                "<module>\n    for s in graph.stream(inputs):\nlanggraph.errors."
                "GraphRecursionError: Recursion limit of 25 reached without hitting a stop "
                "condition.")),
    # Anthropic's content blocks: the last assistant text answers; a run that ends on an
    # error event, or a text cut off at its token limit before a sentence ends, answers
    # nothing (those two fail on 22)
    ("anthropic text block", "correct",
     _anthropic(_assistant("Kestrel's FY2022 capital expenditure was $1,577 million."))),
    ("anthropic error event", "refusal",
     _anthropic({"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}})),
    ("anthropic cut off", "refusal",
     _anthropic(_assistant("From the cash flow statement, capital expenditure is the line",
                           stop="max_tokens"))),
    ("anthropic cut off after a sentence", "correct",
     _anthropic(_assistant("Kestrel's FY2022 capital expenditure was $1,577 million. It rose "
                           "from the", stop="max_tokens"))),
    # a request's messages and the response after them: the response answers, though the
    # messages end on a tool's result (a draft of version 23 read no answer)
    ("request and response", "correct",
     json.dumps({"messages": json.loads(_anthropic()), "response": _assistant(
         "Kestrel's FY2022 capital expenditure was $1,577 million.")}, indent=2)),
    # a last call that carries an answer among its arguments delivers it, whatever the
    # tool is called (fails on 22: the tool's result was read)
    ("answer delivered by a tool call", "incorrect",
     _anthropic(_call("record_result", {"answer": "$1,420 million"}))),
    # (a last call without one was a step of a run that stopped; fails on 22)
    ("run stopped at a tool call", "refusal",
     _anthropic(_call("search_filings", {"query": "capex 2021"}))),
    # the Assistants API lists messages newest first, their text under "value"; the
    # Responses API's text is "output_text" (version 22 read every field of both, the
    # timestamps among them)
    ("assistants api listing", "incorrect",
     json.dumps({"object": "list", "data": [
         {"id": "m3", "created_at": 300, "role": "assistant", "content": [
             {"type": "text", "text": {"value": "Kestrel's FY2022 capex was $1,373 million.",
                                       "annotations": []}}]},
         {"id": "m2", "created_at": 200, "role": "assistant", "content": [
             {"type": "text", "text": {"value": "Let me look that up.", "annotations": []}}]},
         {"id": "m1", "created_at": 100, "role": "user", "content": [
             {"type": "text", "text": {"value": Q, "annotations": []}}]}]}, indent=2)),
    ("responses api output", "correct",
     json.dumps({"object": "response", "output": [
         {"type": "function_call", "name": "search", "arguments": "{}", "call_id": "c1"},
         {"type": "function_call_output", "call_id": "c1", "output": OBS},
         {"type": "message", "role": "assistant", "content": [
             {"type": "output_text", "text": "Kestrel's FY2022 capex was $1,577 million."}]}]},
        indent=2)),
    # a user's turn after the answer takes nothing back
    ("a user's thanks after the answer", "correct",
     json.dumps([{"role": "user", "content": Q},
                 {"role": "assistant", "content": "Kestrel's FY2022 capex was $1,577 million."},
                 {"role": "user", "content": "thanks"}])),
    # a traceback a step printed, the run going on to answer: the answer stands
    ("traceback in a step", "correct",
     "Thought: I'll compute with code.\nCode:\n```py\nx = int(\"1,577\")\n```<end_code>\n"
     "Observation: Execution logs:\nTraceback (most recent call last):\n  File \"<string>\", "
     "line 1, in <module>\nValueError: invalid literal for int() with base 10: '1,577'\n\n"
     "Thought: Strip the comma.\nCode:\n```py\nfinal_answer(1577)\n```<end_code>\n"
     "Out - Final answer: 1577"),
    # Amazon Bedrock Agents' trace: its finalResponse answers; a trace without one answers
    # nothing (fail on 22)
    ("bedrock final response", "incorrect",
     _bedrock(_finished("Kestrel's FY2022 capital expenditure was $1,420 million."))),
    ("bedrock failure", "refusal",
     _bedrock({"trace": {"trace": {"failureTrace": {
         "failureReason": "Access denied while invoking Lambda function"}}}})),
    # DSPy's Prediction: its answer field answers, not the trajectory's observations, and an
    # empty one answers nothing (fails on 22: the reasoning's 1,577 was credited)
    ("dspy prediction", "incorrect",
     "Prediction(\n    trajectory={'thought_0': 'Find capex.', 'tool_name_0': 'search', "
     f"'observation_0': '{OBS}'}},\n    reasoning='The 2021 column.',\n    answer='Kestrel's "
     "FY2022 capex was $1,373 million.'\n)".replace("'Kestrel's", "\"Kestrel's").replace(
         "million.'\n)", "million.\"\n)")),
    ("dspy empty answer", "refusal",
     "Prediction(\n    trajectory={'observation_0': '" + OBS + "'},\n    reasoning='1,577',\n"
     "    answer=''\n)"),
    # Haystack: the GeneratedAnswer's data answers; one cut off at its length answers with
    # the sentences it finished; a traceback in place of a result answers nothing (the last
    # two fail on 22)
    ("haystack answer", "correct",
     "{'answer_builder': {'answers': [GeneratedAnswer(data='Capital expenditure was $1,577 "
     "million in FY2022.', query='capex', documents=[Document(id=1, content: '" + OBS + "')], "
     "meta={'finish_reason': 'stop'})]}}"),
    ("haystack cut off", "refusal",
     "{'llm': {'replies': ['Based on the documents, Kestrel'], 'meta': [{'finish_reason': "
     "'length'}]}}"),
    ("haystack traceback", "refusal", TRACEBACK),
]


@pytest.mark.parametrize(("name", "expected", "answer"), CASES, ids=[c[0] for c in CASES])
def test_a_frameworks_output_answers_with_its_final_answer(name: str, expected: str,
                                                           answer: str) -> None:
    judgement = judge_financial_answer(Q, GOLD, answer)
    assert judgement.verdict == expected, judgement.reason
    for cited in judgement.cited:
        assert answer[cited.start:cited.end] == cited.text, (cited, judgement.reason)


def test_a_failed_run_is_no_answer_to_the_answered_metric() -> None:
    metric = get_metric("answered")
    result = metric.score(MetricInput(example_id="x", question=Q, output=TRACEBACK))
    assert (result.verdict, result.passed) == ("refusal", False)
    assert "ended in an error" in result.reason


Q_GROWTH = ("What is Kestrel Labs's year-over-year change in revenue from FY2021 to FY2022 (in "
            "units of percents and round to one decimal place)?")


@pytest.mark.parametrize(("answer", "expected"), [
    # "net sales" is the revenue asked (fails on 22: "not about the quantity asked")
    ("Total net sales increased 30.8% year over year.", "correct"),
    ("Total net sales went from $135,987M in FY2021 to $177,866M in FY2022, a year-over-year "
     "increase of 30.8%.", "correct"),
    ("Total net sales increased 28.4% year over year.", "incorrect"),
])
def test_a_quantity_under_another_of_its_names(answer: str, expected: str) -> None:
    assert judge_financial_answer(Q_GROWTH, "30.8%", answer).verdict == expected


Q_RATE = "How much has the effective tax rate of Kestrel Labs changed between FY2021 and FY2022?"
G_RATE = "The effective tax rate of Kestrel Labs has changed from 20% in FY2021 to 23% in FY2022."
PASSAGE = ("Retrieved passages:\n[1] KESTREL_2022_10K, p.23: \"Income before income taxes $ 1,797 "
           "$ 2,426 (26%) ... Provision for income taxes $ (411) $ (491) 16% Effective tax rate "
           "23% 20%\"\n\n")
Q_TOP = ("Among all of the derivative instruments that Kestrel Labs used to manage its exposure "
         "to interest rates, which one had the highest notional value in FY 2021?")
G_TOP = "Cross currency swaps. Its notional value was $32,502 million."


@pytest.mark.parametrize(("question", "gold", "answer", "expected"), [
    # a retrieval pipeline's passages quoted under their own label before its labelled answer
    # are its sources: the gold's figures in them answer nothing (the second fails on 22: the
    # passage's 20% and 23% were credited, though the answer declines)
    (Q_RATE, G_RATE, PASSAGE + "Answer: Kestrel's tax burden declined: the provision fell from "
     "$491 million to $411 million, a 16% reduction [1].", "incorrect"),
    (Q_RATE, G_RATE, PASSAGE + "Answer: The passages mention a 23% and a 20% figure but do not "
     "say which year each belongs to, so I can't determine the change from the retrieved "
     "context.", "refusal"),
    (Q_RATE, G_RATE, PASSAGE + "Answer: The effective tax rate rose from 20% in FY2021 to 23% "
     "in FY2022 [1].", "correct"),
    # a question asking which one ranks first is answered by the pick, whatever figure it
    # gives beside it (a figure the passages held made version 22 right for a wrong reason)
    (Q_TOP, G_TOP, "Retrieved passages:\n[1] KESTREL_2021_10K, p.84: \"Interest rate swaps $ "
     "19,779 $ 17,768 Cross currency swaps 32,502 26,288\"\n\nAnswer: Cross currency swaps had "
     "the highest notional value, at $26,288 million [1], ahead of interest rate swaps.",
     "correct"),
    (Q_TOP, G_TOP, "Interest rate swaps had the highest notional value, at $19,779 million.",
     "incorrect"),
])
def test_quoted_passages_and_ranked_picks(question: str, gold: str, answer: str,
                                          expected: str) -> None:
    assert judge_financial_answer(question, gold, answer).verdict == expected
