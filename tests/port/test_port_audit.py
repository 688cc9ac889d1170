"""A port is in the audit trail like a run: its start, every model call it made (the
optimiser's and the target's, each with the prompt sent and the answer) and its result,
chained; a resumed port pays for nothing twice and logs no call twice."""

from __future__ import annotations

from pathlib import Path

from test_port_optimizer_and_shots import _optimizer_responder, _target_wants_facts

from agility.port import PortOptions, aport
from agility.store import Store
from agility.testing import FakeOpenAIServer


def _store_bytes(folder: Path) -> bytes:
    """Every byte of the SQLite store's files (the database, its WAL and shared memory)."""
    return b"".join(p.read_bytes() for p in folder.glob("s.db*"))


async def test_every_call_of_a_port_and_its_result_are_audit_events(
        golden: Path, legacy: Path, tmp_path: Path) -> None:
    asked: list[str] = []
    with FakeOpenAIServer(responder=_optimizer_responder(asked)) as optimizer, \
            FakeOpenAIServer(responder=_target_wants_facts) as target, \
            Store(tmp_path / "s.db") as store:
        options = PortOptions(
            dataset=golden, prompt=legacy, target="openai/t", name="o",
            target_options={"base_url": target.base_url}, config={"max_tokens": 32},
            generators=["optimizer"], optimizer="openai/opt",
            optimizer_options={"base_url": optimizer.base_url}, optimizer_rounds=2,
            minibatch=8, output=tmp_path / "p.yaml")
        result = await aport(options, store=store)
        first = store.events()
        await aport(options, store=store)  # resumed: nothing new is called
        again = store.events()
        report = store.verify_audit()
        target_calls, optimizer_calls = len(target.requests), len(optimizer.requests)
    calls = [e for e in first if e.kind == "model.call"]
    by_optimizer = [e for e in calls if e.subject == "port/o/optimizer"]
    # each optimiser request is an event holding the prompt it sent and the reply
    assert [e.payload["prompt"][0]["content"] for e in by_optimizer] == asked
    assert len(by_optimizer) == optimizer_calls == 2
    assert by_optimizer[0].payload["response"] == "I would make the prompt shorter."
    assert by_optimizer[1].payload["response"].startswith('{"system"')
    assert {e.payload["model"] for e in by_optimizer} == {"openai/opt"}
    # each target request is an event of a candidate's run
    by_target = [e for e in calls if e.subject != "port/o/optimizer"]
    assert len(by_target) == target_calls and {e.payload["model"] for e in by_target} == \
        {"openai/t"}
    port_events = [e for e in first if e.kind.startswith("port.") and e.kind != "port.reserve"]
    assert [e.kind for e in port_events] == ["port.start", "port.finished"]
    start, finished = port_events[0].payload, port_events[1].payload
    assert start["target"] == "openai/t" and start["optimizer"] == "openai/opt"
    assert start["dataset_hash"] == finished["dataset_hash"]
    assert finished["chosen"] == result.report.chosen
    # the resumed port logged its own start and result, and no call
    new = again[len(first):]
    assert [e.kind for e in new if e.kind == "model.call"] == []
    assert [e.kind for e in new if e.kind in ("port.start", "port.finished")] == [
        "port.start", "port.finished"]
    assert report.ok, report


CANARY = "CANARY-PORT-991"


def _mask(text: str) -> str:
    return text.replace(CANARY, "<SECRET>")


async def test_a_port_under_masks_sends_and_keeps_no_canary(legacy: Path,
                                                            tmp_path: Path) -> None:
    from port_fixtures import golden_rows, write_golden

    from agility.runner import RunMasks

    rows = golden_rows()
    for row in rows:
        row["source_prompt"] += f" (ask {CANARY})"
    golden = write_golden(tmp_path, rows)
    asked: list[str] = []
    with FakeOpenAIServer(responder=_optimizer_responder(asked)) as optimizer, \
            FakeOpenAIServer(responder=_target_wants_facts) as target, \
            Store(tmp_path / "s.db") as store:
        options = PortOptions(
            dataset=golden, prompt=legacy, target="openai/t", name="m",
            target_options={"base_url": target.base_url}, config={"max_tokens": 32},
            generators=["optimizer", "few_shot"], optimizer="openai/opt",
            optimizer_options={"base_url": optimizer.base_url}, optimizer_rounds=1,
            minibatch=8, output=tmp_path / "p.yaml")
        await aport(options, store=store, masks=RunMasks(providers=_mask, store=_mask),
                    mask_judged=_mask, mask_reports=_mask,
                    report_json=tmp_path / "port.json", report_html=tmp_path / "port.html")
        sent = str(target.requests) + str(optimizer.requests)
        assert len(target.requests) > 20 and len(optimizer.requests) >= 1
        assert store.verify_audit().ok
    assert CANARY not in sent and "<SECRET>" in sent
    stored = _store_bytes(tmp_path)
    assert CANARY.encode() not in stored and b"<SECRET>" in stored
    for report in ("port.json", "port.html"):
        assert CANARY not in (tmp_path / report).read_text()
