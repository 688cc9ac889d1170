"""PII masking: recall and precision per entity type, offline (Presidio pattern recognizers).

Two sets:

1. A synthetic set made with Faker (seeded, en_US plus de_DE/en_GB/fr_FR IBANs): sentences of
   financial-support text, each with one planted value whose span is known by construction
   (e-mail, phone, SSN, card number, IBAN, street address, person name), plus sentences with
   no personal data at all (figures, dates, percentages, invoice numbers) for precision.
2. The worked example's golden rows (66 rows when measured, 70 since; its one ``pii``-tagged
   row asks *for* personal data but holds none) and its filing text: every detection there is
   a false positive.

A gold span is found when a detection of the same type overlaps it; a detection is a false
positive when it overlaps no gold span of its type. Run:

    python benchmarks/pii_masking.py [--per-type 300] [--seed 7]
"""

from __future__ import annotations

import argparse
import json
import random
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from faker import Faker

from agility.governance import PiiMasker

EXAMPLE = Path(__file__).resolve().parents[1] / "src" / "agility" / "examples" / "finance_rag"

POLICY = ["EMAIL_ADDRESS", "PHONE_NUMBER", "US_SSN", "CREDIT_CARD", "IBAN_CODE", "STREET_ADDRESS"]
TEMPLATES = [
    "Please contact the account holder at {} about the Q3 statement.",
    "Customer record: {}. Verify before processing the refund of $1,284.50.",
    "The client wrote that {} is the right detail for the wire.",
    "Update the CRM entry with {} and close ticket 44817.",
    "{} was given on the onboarding form dated 2024-03-18.",
    "As requested, our records now show {} for this customer.",
]
CLEAN = [
    "Net revenue rose 12.4% to $1,284.0 million in fiscal 2024.",
    "Invoice 2024-00817 totals EUR 18,430.00, due on 30 June 2025.",
    "Gross margin was 42.2%, up 130 basis points from 40.9%.",
    "Capital expenditure of $212 million was funded from operating cash flow of $341 million.",
    "The board approved a dividend of $0.42 per share, payable on 15 March.",
    "Segment EBITDA reached 318.6 million, with 2,450 employees at year end.",
    "Order 55-1032-7 shipped in 3 boxes weighing 12.5 kg on 2024-11-02.",
    "Ticket 44817 was closed after 36 hours; 98.7% of tickets meet the SLA.",
]


#: addresses in layouts Faker's en_US provider does not make (written for this benchmark)
OTHER_ADDRESSES = [
    "PO Box 4417, Austin, TX 78765", "1600 Pennsylvania Avenue NW, Washington, DC 20500",
    "350 5th Ave, New York, NY 10118", "Flat 2, 10 Downing Street, London SW1A 2AA",
    "221B Baker Street, London", "Unter den Linden 77, 10117 Berlin",
    "12 rue de la Paix, 75002 Paris", "Keizersgracht 123, 1015 CJ Amsterdam",
    "1 Infinite Loop, Cupertino, CA 95014", "Apartment 5C, 300 East 57th Street, New York",
    "4059 Mt Lee Dr, Hollywood, CA 90068", "RR 2 Box 152, Millersburg, OH",
    "77 Massachusetts Ave, Cambridge, MA 02139", "Calle de Alcala 48, 28014 Madrid",
    "Suite 400, 500 Oracle Parkway, Redwood City", "1 Microsoft Way, Redmond, WA 98052",
    "2211 North First Street, San Jose", "via Roma 10, 00184 Roma",
    "8 Marina View, #43-01, Singapore 018960", "100 Queen St W, Toronto, ON M5H 2N2",
]


def generators(fake: Faker, ibans: list[Faker]) -> dict[str, Callable[[], str]]:
    """One value generator per entity type (the Presidio type it should be found as)."""
    return {
        "EMAIL_ADDRESS": fake.email,
        "PHONE_NUMBER": fake.phone_number,
        "US_SSN": fake.ssn,
        "CREDIT_CARD": fake.credit_card_number,
        "IBAN_CODE": lambda: random.choice(ibans).iban(),
        "STREET_ADDRESS": lambda: f"{fake.street_address()}, {fake.city()}",
        "PERSON": fake.name,
    }


def synthetic(per_type: int, seed: int) -> list[tuple[str, list[tuple[str, int, int]]]]:
    """Sentences with their gold spans ``(entity, start, end)``."""
    Faker.seed(seed)
    random.seed(seed)
    fake = Faker("en_US")
    ibans = [Faker(loc) for loc in ("de_DE", "en_GB", "fr_FR", "nl_NL", "es_ES")]
    out: list[tuple[str, list[tuple[str, int, int]]]] = []
    for entity, make in generators(fake, ibans).items():
        for _ in range(per_type):
            value = make()
            template = random.choice(TEMPLATES)
            start = template.index("{}")
            out.append((template.format(value), [(entity, start, start + len(value))]))
    out += [(random.choice(CLEAN), []) for _ in range(per_type)]
    return out


def evaluate(masker: PiiMasker, items: list[tuple[str, list[tuple[str, int, int]]]],
             ) -> tuple[Counter[str], Counter[str], Counter[str]]:
    """Gold spans per type, gold spans found, detections that match no gold span."""
    gold, found, false = Counter[str](), Counter[str](), Counter[str]()
    for text, spans in items:
        detections = masker.find(text)
        for entity, start, end in spans:
            gold[entity] += 1
            if any(d.entity == entity and d.start < end and start < d.end for d in detections):
                found[entity] += 1
        for d in detections:
            if not any(d.entity == e and d.start < end and start < d.end
                       for e, start, end in spans):
                false[d.entity] += 1
    return gold, found, false


def demo_texts() -> list[str]:
    """The worked example's golden rows (every text field) and its filing."""
    texts = []
    for line in (EXAMPLE / "golden.jsonl").read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        texts += [str(row.get(k) or "") for k in ("source_prompt", "ground_truth")]
        texts += [str(c) for c in row.get("contexts") or []]
    texts += (EXAMPLE / "filing.md").read_text(encoding="utf-8").split("\n\n")
    return [t for t in texts if t.strip()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-type", type=int, default=300)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    # the structured identifiers and addresses a policy masks (PERSON needs a named-entity
    # model, which is not installed here: its names are counted as gold, found by nothing)
    masker = PiiMasker(POLICY)
    started = time.perf_counter()
    masker.find("warm up: a@b.com")
    load_s = time.perf_counter() - started
    items = synthetic(args.per_type, args.seed)
    started = time.perf_counter()
    gold, found, false = evaluate(masker, items)
    per_text_ms = (time.perf_counter() - started) * 1000 / len(items)
    print(f"synthetic set: {len(items)} sentences ({args.per_type} per type + {args.per_type} "
          f"without personal data), seed {args.seed}; analyzer load {load_s:.1f} s, "
          f"{per_text_ms:.1f} ms per sentence")
    print("| entity | gold | found | recall | false positives | precision |")
    print("|---|---:|---:|---:|---:|---:|")
    for entity in [*gold, *sorted(set(false) - set(gold))]:
        tp, fp = found[entity], false[entity]
        recall = f"{tp / gold[entity]:.3f}" if gold[entity] else "n/a"
        precision = f"{tp / (tp + fp):.3f}" if tp + fp else "n/a"
        print(f"| {entity} | {gold[entity]} | {tp} | {recall} | {fp} | {precision} |")
    other = [(f"Ship the documents to {a} by Friday.",
              [("STREET_ADDRESS", 22, 22 + len(a))]) for a in OTHER_ADDRESSES]
    o_gold, o_found, o_false = evaluate(masker, other)
    print(f"\naddresses in other layouts ({len(other)}, hand-written): found "
          f"{o_found['STREET_ADDRESS']} of {o_gold['STREET_ADDRESS']} (recall "
          f"{o_found['STREET_ADDRESS'] / o_gold['STREET_ADDRESS']:.2f}); other detections "
          f"{dict(o_false) or 'none'}")
    texts = demo_texts()
    demo = Counter(d.entity for t in texts for d in masker.find(t))
    print(f"\ndemo (finance_rag golden rows and filing, {len(texts)} texts, no personal data): "
          f"{sum(demo.values())} detections, each a false positive: {dict(demo) or 'none'}")


if __name__ == "__main__":
    main()
