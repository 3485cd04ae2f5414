"""A LangGraph agent whose long-term memory is memsvc, through `MemsvcStore`.

Each turn runs three nodes: `recall` searches the user's memories in the store for the
message, `respond` asks an OpenAI-compatible chat model (with those memories in its system
prompt) for a reply and for what to remember, and `remember` writes that into the store, in
the ("memories", "{user_id}") namespace: memsvc's scope for that user. A second conversation
starts with no messages of the first, and still knows what the first taught it.

    python examples/langgraph_agent.py                       # offline: a scripted model
    python examples/langgraph_agent.py --llm-url http://127.0.0.1:8000/v1 --model M

Without --llm-url it starts examples/scripted_llm.py, a scripted OpenAI-compatible server on
127.0.0.1. memsvc runs embedded in --data-dir (a temporary folder by default).
"""

from __future__ import annotations

import argparse
import json
import tempfile
import uuid
from typing import Any, TypedDict

import httpx
from langgraph.graph import END, START, StateGraph
from langgraph.runtime import Runtime
from scripted_llm import ScriptedLLM

import memsvc
from memsvc.integrations.langgraph import MemsvcStore

SYSTEM = (
    "You are a helpful assistant with long-term memory. What you remember about the user:\n"
    "{memories}\n"
    'Answer with JSON: {{"reply": "...", "remember": ["new facts worth remembering"]}}'
)
CONVERSATIONS = [
    "Hi, I'm Sam. I live in Porto and I'm allergic to peanuts.",
    "Can you suggest a snack for my hike tomorrow?",
]
SCRIPT = [  # what the offline model answers, in order
    {
        "reply": "Nice to meet you, Sam!",
        "remember": ["Sam is allergic to peanuts", "Sam lives in Porto"],
    },
    {"reply": "Roasted chickpeas travel well, and they are peanut-free.", "remember": []},
]


class Turn(TypedDict, total=False):
    user_id: str
    message: str
    memories: list[str]
    reply: str
    remember: list[str]


def build(llm_url: str, model: str, store: MemsvcStore) -> Any:
    def recall(state: Turn, runtime: Runtime) -> Turn:
        assert runtime.store is not None
        found = runtime.store.search(
            ("memories", state["user_id"]), query=state["message"], limit=3
        )
        return {"memories": [item.value["content"] for item in found]}

    def respond(state: Turn) -> Turn:
        system = SYSTEM.format(
            memories="\n".join(f"- {m}" for m in state["memories"]) or "(nothing)"
        )
        body = {
            "model": model,
            "messages": [
                {"role": "system", "content": system},
                {"role": "user", "content": state["message"]},
            ],
            "response_format": {"type": "json_object"},
        }
        answer = httpx.post(f"{llm_url}/chat/completions", json=body, timeout=60).json()
        parsed = json.loads(answer["choices"][0]["message"]["content"])
        return {"reply": parsed["reply"], "remember": parsed.get("remember", [])}

    def remember(state: Turn, runtime: Runtime) -> Turn:
        assert runtime.store is not None
        for fact in state["remember"]:
            runtime.store.put(("memories", state["user_id"]), str(uuid.uuid4()), {"content": fact})
        return {}

    graph = StateGraph(Turn)
    graph.add_node("recall", recall)
    graph.add_node("respond", respond)
    graph.add_node("remember", remember)
    graph.add_edge(START, "recall")
    graph.add_edge("recall", "respond")
    graph.add_edge("respond", "remember")
    graph.add_edge("remember", END)
    return graph.compile(store=store)


def chat(llm_url: str, model: str, data_dir: str, user_id: str = "sam") -> None:
    with memsvc.Memory(memsvc.Settings(data_dir=data_dir)) as memory:
        agent = build(llm_url, model, MemsvcStore(memory, user_label=1))
        for message in CONVERSATIONS:  # each one a fresh conversation: no shared messages
            turn = agent.invoke({"user_id": user_id, "message": message})
            print(f"user: {message}")
            print(f"recalled: {turn['memories']}")
            print(f"assistant: {turn['reply']}")
        hit = memory.search("peanut allergy", user_id=user_id, k=1).hits[0]
        print(f"memsvc, {user_id}'s memory: {hit.memory.content!r} in {hit.memory.session_id}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--llm-url", help="an OpenAI-compatible endpoint (default: scripted)")
    parser.add_argument("--model", default="scripted")
    parser.add_argument("--data-dir", default=None, help="memsvc data folder (default: temporary)")
    args = parser.parse_args(argv)
    data_dir = args.data_dir or tempfile.mkdtemp(prefix="memsvc-example-")
    if args.llm_url:
        chat(args.llm_url, args.model, data_dir)
        return
    with ScriptedLLM([json.dumps(reply) for reply in SCRIPT]) as llm:
        chat(llm.base_url, args.model, data_dir)


if __name__ == "__main__":
    main()
