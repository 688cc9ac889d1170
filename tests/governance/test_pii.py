"""PII masking modes, entity checks, and the report and log paths."""

from __future__ import annotations

import logging

import pytest

pytest.importorskip("presidio_analyzer", reason="needs the privacy extra (Presidio)")

from agility.errors import ConfigError  # noqa: E402
from agility.governance import PiiMasker, mask_comparison, mask_logs  # noqa: E402

TEXT = "Mail ann.lee@example.org, call (415) 555-0132, SSN 536-80-4398, again ann.lee@example.org"


def test_redact_replaces_each_value_with_its_type() -> None:
    masked = PiiMasker(["EMAIL_ADDRESS", "US_SSN", "PHONE_NUMBER"]).mask(TEXT)
    assert masked == ("Mail <EMAIL_ADDRESS>, call <PHONE_NUMBER>, SSN <US_SSN>, "
                      "again <EMAIL_ADDRESS>")


def test_hash_gives_the_same_keyed_token_for_the_same_value(monkeypatch) -> None:
    monkeypatch.setenv("AGILITY_MASK_KEY", "k1")
    first = PiiMasker(["EMAIL_ADDRESS"], "hash").mask(TEXT)
    tokens = [w.strip(",") for w in first.split() if w.startswith("<EMAIL")]
    assert len(tokens) == 2 and tokens[0] == tokens[1] and "ann.lee" not in first
    assert PiiMasker(["EMAIL_ADDRESS"], "hash").mask(TEXT) == first  # same key, same token
    monkeypatch.setenv("AGILITY_MASK_KEY", "k2")
    assert PiiMasker(["EMAIL_ADDRESS"], "hash").mask(TEXT) != first  # the key matters


def test_pseudonymize_numbers_values_consistently() -> None:
    first, _, second, _, again = PiiMasker(["EMAIL_ADDRESS"], "pseudonymize").mask(
        "a@x.com and b@y.com and a@x.com").split()
    assert first == again and first != second
    assert {first, second} == {"<EMAIL_ADDRESS_1>", "<EMAIL_ADDRESS_2>"}


def test_names_without_a_model_and_unknown_types_are_refused() -> None:
    with pytest.raises(ConfigError, match="PERSON is found only by a named-entity model"):
        PiiMasker(["PERSON"])
    with pytest.raises(ConfigError, match="unknown entity type 'SSN'"):
        PiiMasker(["SSN"])
    with pytest.raises(ConfigError, match="not a spaCy English pipeline"):
        PiiMasker(["PERSON"], ner="my_module")


def test_masking_never_downloads_anything(monkeypatch) -> None:
    import socket

    def refuse(*args, **kwargs):  # any connection attempt fails the test
        raise AssertionError(f"network access attempted: {args}")

    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)
    assert "<EMAIL_ADDRESS>" in PiiMasker(["EMAIL_ADDRESS", "URL"]).mask("x z@q.io y")


def test_report_text_is_masked_in_a_comparison() -> None:
    from pydantic import BaseModel

    from agility.compare import ExampleDiff

    class Holder(BaseModel):  # the part of a Comparison the report's examples come from
        examples: list[ExampleDiff]

    diff = ExampleDiff(example_id="e1", stratum=None, split="dev",
                       question="Who is ann.lee@example.org?", ground_truth="ann.lee@example.org",
                       source_output="ann.lee@example.org", target_output="no",
                       source_value=1.0, target_value=0.0, delta=-1.0)
    masked = mask_comparison(Holder(examples=[diff]), PiiMasker(["EMAIL_ADDRESS"]).mask)
    (shown,) = masked.examples
    assert shown.question == "Who is <EMAIL_ADDRESS>?" and shown.ground_truth == "<EMAIL_ADDRESS>"
    assert shown.example_id == "e1" and shown.delta == -1.0


def test_log_records_are_masked_while_installed(caplog) -> None:
    remove = mask_logs(PiiMasker(["US_SSN"]).mask)
    try:
        with caplog.at_level(logging.WARNING, logger="agility.test"):
            logging.getLogger("agility").warning("row has %s", "SSN 536-80-4398")
    finally:
        remove()
    assert "536-80-4398" not in caplog.text and "<US_SSN>" in caplog.text


def test_a_gateway_call_is_audit_logged_masked_and_chained(tmp_path) -> None:
    from agility.governance import log_model_call
    from agility.store import Store

    with Store(tmp_path / "s.db") as store:
        event = log_model_call(store, subject="rollout-1", model="openai/gpt-4o",
                               messages=[{"role": "user", "content": "I am 536-80-4398"}],
                               response="Noted, 536-80-4398.", extra={"arm": "target"},
                               mask=PiiMasker(["US_SSN"]).mask)
        assert event.kind == "model.call" and event.payload["arm"] == "target"
        assert "536-80-4398" not in str(event.payload) and "<US_SSN>" in str(event.payload)
        assert store.verify_audit().ok
