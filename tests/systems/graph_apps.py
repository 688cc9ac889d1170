"""Small LangGraph graphs the tests run by their import path (``langgraph:graph_apps:NAME``).

``agent`` is the usual tool-calling loop: a model node that may call ``get_weather``, a
``ToolNode`` that runs it, back to the model until it answers without a call.
"""

from __future__ import annotations

from typing import Any

from langchain_core.runnables import RunnableConfig
from langchain_core.tools import tool
from langgraph.graph import END, START, MessagesState, StateGraph
from langgraph.prebuilt import ToolNode

from agility.systems import assistant_message, chat_messages, graph_settings
from agility.trace import span


@tool
def get_weather(city: str) -> str:
    """The weather in a city."""
    with span("weather_api", kind="tool") as step:  # a paid API: its cost is declared
        step.set(cost_usd=0.0002)
        return f"sunny in {city}"


TOOLS = [get_weather]
WEATHER_TOOL = {"name": "get_weather", "description": "The weather in a city",
                "parameters": {"type": "object", "properties": {"city": {"type": "string"}},
                               "required": ["city"]}}


async def model(state: MessagesState, config: RunnableConfig) -> dict[str, Any]:
    settings = graph_settings(config)
    first = not any(m.type == "tool" for m in state["messages"])
    # the first turn must call the tool (a small model would not always), the next may not
    completion = await settings.generate(chat_messages(state["messages"]), name="decide",
                                         tools=[WEATHER_TOOL],
                                         tool_choice="get_weather" if first else "none")
    return {"messages": [assistant_message(completion)]}


def route(state: MessagesState) -> str:
    last = state["messages"][-1]
    return "tools" if getattr(last, "tool_calls", None) else END


_agent = StateGraph(MessagesState)
_agent.add_node("agent", model)
_agent.add_node("tools", ToolNode(TOOLS))
_agent.add_edge(START, "agent")
_agent.add_conditional_edges("agent", route, ["tools", END])
_agent.add_edge("tools", "agent")
agent = _agent.compile()

#: the same graph, not compiled (the system compiles it once)
agent_uncompiled = _agent


async def _again(state: MessagesState) -> dict[str, Any]:
    return {"messages": [{"role": "assistant", "content": "thinking..."}]}


_loops = StateGraph(MessagesState)
_loops.add_node("think", _again)
_loops.add_edge(START, "think")
_loops.add_edge("think", "think")
loops = _loops.compile()


async def _broken(state: MessagesState) -> dict[str, Any]:
    raise RuntimeError("the retriever is down")


_fails = StateGraph(MessagesState)
_fails.add_node("retrieve", _broken)
_fails.add_edge(START, "retrieve")
_fails.add_edge("retrieve", END)
fails = _fails.compile()


class _State(MessagesState):
    answer: str
    contexts: list[str]


async def _rag(state: _State) -> dict[str, Any]:
    with span("search", kind="retrieval"):
        found = ["doc about " + state["messages"][-1].content]
    return {"answer": "from the docs", "contexts": found}


_rag_graph = StateGraph(_State)
_rag_graph.add_node("rag", _rag)
_rag_graph.add_edge(START, "rag")
_rag_graph.add_edge("rag", END)
rag = _rag_graph.compile()

not_a_graph = 42
