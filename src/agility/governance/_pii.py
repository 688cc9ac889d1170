"""Finding and masking personal data: Microsoft Presidio's analyzer and anonymizer, offline.

Presidio's default set-up loads a spaCy named-entity model and downloads it when it is missing;
here nothing is ever downloaded. The analyzer runs on a blank spaCy English tokenizer (shipped
inside spaCy) with Presidio's pattern recognizers (regular expressions plus checksums and
context words) and one of ours for street addresses. Entities that only a named-entity model
finds (``PERSON``, ``LOCATION``, ``ORGANIZATION``, ``NRP``) are available only when an
installed spaCy English pipeline is named (``ner: en_core_web_sm``); otherwise a policy asking
for them is refused, never silently left unmasked.

Masking modes: ``redact`` (``<EMAIL_ADDRESS>``), ``hash`` (``<EMAIL_ADDRESS:1f3a…>``, a keyed
HMAC-SHA256: the same value gives the same token, so exact comparisons still hold) and
``pseudonymize`` (``<PERSON_1>``, ``<PERSON_2>``: numbered per value, consistent within one
masker; the mapping is kept in memory only). The key of ``hash`` comes from
``$AGILITY_MASK_KEY`` (keep it secret: an SSN has few enough values to guess from an unkeyed
hash), else a random key for this process.
"""

from __future__ import annotations

import hashlib
import hmac
import importlib.util
import os
import re
import sys
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Literal

from agility.errors import ConfigError, MissingExtraError

__all__ = [
    "ENV_MASK_KEY",
    "NER_ENTITIES",
    "NER_MODELS",
    "PATTERN_ENTITIES",
    "Detection",
    "PiiMasker",
    "known_entities",
]

MaskMode = Literal["redact", "hash", "pseudonymize"]
ENV_MASK_KEY = "AGILITY_MASK_KEY"

#: entities found by patterns (Presidio's predefined recognizers and our street address)
PATTERN_ENTITIES = (
    "EMAIL_ADDRESS", "PHONE_NUMBER", "US_SSN", "CREDIT_CARD", "IBAN_CODE", "IP_ADDRESS",
    "URL", "US_BANK_NUMBER", "US_PASSPORT", "US_DRIVER_LICENSE", "US_ITIN", "UK_NHS",
    "CRYPTO", "MEDICAL_LICENSE", "DATE_TIME", "STREET_ADDRESS",
)
#: entities only a named-entity model finds
NER_ENTITIES = ("PERSON", "LOCATION", "ORGANIZATION", "NRP")
#: spaCy pipelines a policy may name (a plan never chooses an arbitrary module to import)
NER_MODELS = ("en_core_web_sm", "en_core_web_md", "en_core_web_lg", "en_core_web_trf")

#: USPS street suffixes (Publication 28's primary names) and their common abbreviations
_SUFFIXES = (
    "Alley Avenue Bend Bluff Bluffs Bottom Boulevard Branch Bridge Brook Brooks Burg Burgs Bypass "
    "Camp Canyon Cape Causeway Center Centers Circle Circles Cliff Cliffs Club Common Commons "
    "Corner Corners Course Court Courts Cove Coves Creek Crescent Crest Crossing Crossroad Curve "
    "Dale Dam Divide Drive Drives Estate Estates Expressway Extension Extensions Fall Falls Ferry "
    "Field Fields Flat Flats Ford Fords Forest Forge Forges Fork Forks Fort Freeway Garden "
    "Gardens Gateway Glen Glens Green Greens Grove Groves Harbor Harbors Haven Heights Highway "
    "Hill Hills Hollow Inlet Island Islands Isle Junction Junctions Key Keys Knoll Knolls Lake "
    "Lakes Land Landing Lane Light Lights Loaf Lock Locks Lodge Loop Mall Manor Manors Meadow "
    "Meadows Mews Mill Mills Mission Motorway Mount Mountain Mountains Neck Orchard Oval Overpass "
    "Park Parks Parkway Parkways Pass Passage Path Pike Pine Pines Place Plain Plains Plaza "
    "Point Points Port Ports Prairie Radial Ramp Ranch Rapid Rapids Rest Ridge Ridges River Road "
    "Roads Route Row Rue Run Shoal Shoals Shore Shores Skyway Spring Springs Spur Spurs Square "
    "Squares Station Stravenue Stream Street Streets Summit Terrace Throughway Trace Track "
    "Trafficway Trail Tunnel Turnpike Underpass Union Unions Valley Valleys Via Viaduct View "
    "Views Village Villages Ville Vista Walk Walks Wall Way Ways Well Wells "
    "St Ave Rd Blvd Ln Dr Ct Pl Sq Pkwy Hwy Ter Cir Trl"
).split()
#: a US-style street address: a number, one to four capitalised words, a USPS suffix, an
#: optional unit, and optionally ", City"
_STREET = (r"\b\d{1,6}\s+(?:[A-Z][A-Za-z0-9.'-]*\s+){1,4}(?:" + "|".join(_SUFFIXES)
           + r")\b\.?(?:,?\s+(?:Apt\.?|Suite|Ste\.?|Unit|#)\s*\w+)?"
           r"(?:,\s+[A-Z][A-Za-z.'-]+(?:\s+[A-Z][A-Za-z.'-]+){0,2})?")
#: North American numbers in the usual layouts, with a country or dialing prefix and an
#: extension: Presidio's phone check accepts only numbers with an assigned area code
_NANP_PHONE = (r"(?<![\w+])(?:\+1[-. ]?|001[-. ]?|1[-. ])?(?:\(\d{3}\)\s?|\d{3}[-. ])\d{3}[-. ]\d{4}"
               r"(?:\s?(?:x|ext\.?|extension)\s?\d{1,6})?\b")
#: 12 to 19 digits, in groups or not: any card brand (Maestro, JCB, 19-digit Visa); the
#: recognizer keeps only numbers that pass the Luhn check
_ANY_CARD = r"\b(?:\d[ -]?){11,18}\d\b"


@lru_cache(maxsize=1)
def _presidio() -> tuple[Any, Any, Any, Any, Any, Any]:
    # Presidio imports Hugging Face transformers, and spaCy's thinc imports torch, when they
    # are installed (for engines and models we never use here): tens of seconds on a busy
    # machine. Hide them during this import only (both treat an ImportError as "absent").
    hidden = [name for name in ("transformers", "torch") if name not in sys.modules]
    for name in hidden:
        sys.modules[name] = None  # type: ignore[assignment]
    try:
        import spacy
        import tldextract
        from presidio_analyzer import (
            AnalyzerEngine,
            Pattern,
            PatternRecognizer,
            RecognizerRegistry,
        )
        from presidio_analyzer.nlp_engine import SpacyNlpEngine
        from presidio_anonymizer import AnonymizerEngine
    except ImportError as exc:
        raise MissingExtraError("presidio-analyzer", "privacy", "PII masking") from exc
    finally:
        for name in hidden:
            if name in sys.modules and sys.modules[name] is None:
                del sys.modules[name]
    # Presidio's e-mail check asks tldextract, whose default fetches the public suffix list
    # from the network: use the snapshot it ships instead (no request, ever)
    tldextract.tldextract.TLD_EXTRACTOR = tldextract.TLDExtract(suffix_list_urls=())

    class _OfflineSpacy(SpacyNlpEngine):
        """spaCy without Presidio's download-on-load: blank English, or a named pipeline
        that is installed."""

        def load(self) -> None:
            loaded: dict[str, Any] = {}
            for model in self.models:
                name = model["model_name"]
                loaded[model["lang_code"]] = spacy.blank("en") if name == "blank:en" \
                    else spacy.load(name)
            self.nlp = loaded  # type: ignore[assignment]  # Presidio types it None

    return (AnalyzerEngine, RecognizerRegistry, _OfflineSpacy, Pattern, PatternRecognizer,
            AnonymizerEngine)


def ner_model_installed(name: str) -> bool:
    """Whether the spaCy pipeline ``name`` is installed (nothing is imported)."""
    return importlib.util.find_spec(name) is not None


def known_entities(ner: str | None = None) -> tuple[str, ...]:
    """The entity types a masker can find: patterns, plus NER entities with a model."""
    return PATTERN_ENTITIES + (NER_ENTITIES if ner else ())


def check_entities(entities: Sequence[str], ner: str | None) -> list[str]:
    """Problems with a policy's entity list and NER model (empty: fine)."""
    problems: list[str] = []
    if ner is not None and ner not in NER_MODELS:
        problems.append(f"ner: {ner!r} is not a spaCy English pipeline agility loads; use one "
                        f"of {', '.join(NER_MODELS)}")
    elif ner is not None and not ner_model_installed(ner):
        problems.append(f"ner: the spaCy pipeline {ner!r} is not installed; install it, or "
                        f"remove 'ner' (then {', '.join(NER_ENTITIES)} cannot be masked)")
    for entity in entities:
        if entity in NER_ENTITIES and ner is None:
            problems.append(f"mask: {entity} is found only by a named-entity model and none "
                            f"is configured (ner: en_core_web_sm, installed): without one it "
                            f"would not be masked; patterns cover "
                            f"{', '.join(PATTERN_ENTITIES)}")
        elif entity not in PATTERN_ENTITIES and entity not in NER_ENTITIES:
            problems.append(f"mask: unknown entity type {entity!r}; known: "
                            f"{', '.join(PATTERN_ENTITIES + NER_ENTITIES)}")
    return problems


@dataclass(frozen=True)
class Detection:
    """One piece of personal data found in a text."""

    entity: str
    start: int
    end: int
    score: float


@lru_cache(maxsize=4)
def _analyzer(ner: str | None) -> Any:
    analyzer_cls, registry_cls, nlp_cls, pattern_cls, recognizer_cls, _ = _presidio()
    engine = nlp_cls(models=[{"lang_code": "en", "model_name": ner or "blank:en"}])
    engine.load()
    registry = registry_cls(supported_languages=["en"])
    registry.load_predefined_recognizers(languages=["en"], nlp_engine=engine)
    if ner is None:
        registry.remove_recognizer("SpacyRecognizer")
    registry.add_recognizer(recognizer_cls(
        supported_entity="STREET_ADDRESS", name="StreetAddressRecognizer",
        patterns=[pattern_cls("street address", _STREET, 0.6)],
        context=["address", "street", "lives", "live", "mail", "ship", "located"],
        # case matters here: "130 basis points" is not "130 Basis Points"
        global_regex_flags=re.DOTALL | re.MULTILINE))
    registry.add_recognizer(recognizer_cls(
        supported_entity="PHONE_NUMBER", name="NanpPhoneRecognizer",
        patterns=[pattern_cls("north american phone", _NANP_PHONE, 0.5)],
        context=["phone", "call", "tel", "mobile", "cell", "fax", "contact"]))
    from presidio_analyzer.predefined_recognizers import CreditCardRecognizer

    registry.add_recognizer(CreditCardRecognizer(
        patterns=[pattern_cls("any card brand", _ANY_CARD, 0.3)], name="AnyBrandCardRecognizer"))
    return analyzer_cls(nlp_engine=engine, registry=registry, supported_languages=["en"])


class PiiMasker:
    """Find and mask personal data of the given entity types.

    Args:
        entities: entity types to mask (see :data:`PATTERN_ENTITIES`, :data:`NER_ENTITIES`).
        mode: ``redact``, ``hash`` or ``pseudonymize`` (see the module docstring).
        ner: an installed spaCy English pipeline for names, places, organisations.
        threshold: lowest detection score masked (Presidio scores 0-1; default 0.3).
        key: the ``hash`` mode's key (default: ``$AGILITY_MASK_KEY``, else random for this
            process); another process given the same key masks a value alike.

    Raises:
        ConfigError: an unknown entity type, or an NER entity without a model.
        MissingExtraError: Presidio is not installed (``pip install 'agility[privacy]'``).
    """

    def __init__(self, entities: Iterable[str], mode: MaskMode = "redact", *,
                 ner: str | None = None, threshold: float = 0.3,
                 key: bytes | None = None) -> None:
        self.entities = tuple(dict.fromkeys(entities))
        problems = check_entities(self.entities, ner)
        if problems:
            raise ConfigError("the privacy policy cannot be applied:\n" + "\n".join(problems))
        self.mode, self.ner, self.threshold = mode, ner, threshold
        self._key = key or os.environ.get(ENV_MASK_KEY, "").encode() or os.urandom(32)
        self._pseudonyms: dict[tuple[str, str], str] = {}
        self._lock = threading.Lock()
        self._anonymizer = _presidio()[5]()

    def settings(self) -> dict[str, Any]:
        """What rebuilds this masker in another process (``PiiMasker(**settings)``) so that
        it masks every value alike: entity types, mode, NER model, threshold and the
        ``hash`` key. The key is a secret: hand it to processes only, never to a file.

        Raises:
            ConfigError: the mode is ``pseudonymize``, whose numbering lives in this
                process's memory: another process would number values on its own.
        """
        if self.mode == "pseudonymize":
            raise ConfigError("a pseudonymizing masker cannot be carried to another process: "
                              "its numbering of values lives in this process's memory, so "
                              "another process would give the same value another number; "
                              "use mode hash or redact there")
        return {"entities": list(self.entities), "mode": self.mode, "ner": self.ner,
                "threshold": self.threshold, "key": self._key}

    def find(self, text: str) -> list[Detection]:
        """The personal data in ``text`` of this masker's entity types, left to right."""
        if not text or not self.entities:
            return []
        results = _analyzer(self.ner).analyze(text=text, language="en",
                                              entities=list(self.entities),
                                              score_threshold=self.threshold)
        return sorted((Detection(r.entity_type, r.start, r.end, r.score) for r in results),
                      key=lambda d: (d.start, -d.end))

    def _token(self, entity: str, value: str) -> str:
        if self.mode == "redact":
            return f"<{entity}>"
        digest = hmac.new(self._key, f"{entity}\0{value}".encode(), hashlib.sha256).hexdigest()
        if self.mode == "hash":
            return f"<{entity}:{digest[:12]}>"
        with self._lock:
            key = (entity, digest)
            if key not in self._pseudonyms:
                count = sum(1 for e, _ in self._pseudonyms if e == entity)
                self._pseudonyms[key] = f"<{entity}_{count + 1}>"
            return self._pseudonyms[key]

    def mask(self, text: str) -> str:
        """``text`` with every detection replaced by its token (Presidio's anonymizer)."""
        if not text or not self.entities:
            return text
        results = _analyzer(self.ner).analyze(text=text, language="en",
                                              entities=list(self.entities),
                                              score_threshold=self.threshold)
        if not results:
            return text
        from presidio_anonymizer.entities import OperatorConfig

        operators = {entity: OperatorConfig("custom", {
            "lambda": (lambda value, entity=entity: self._token(entity, value))})
            for entity in {r.entity_type for r in results}}
        return str(self._anonymizer.anonymize(text=text, analyzer_results=results,
                                              operators=operators).text)

    def mask_value(self, value: Any) -> Any:
        """Every string inside ``value`` (dicts, lists, nested) masked; other values kept."""
        if isinstance(value, str):
            return self.mask(value)
        if isinstance(value, dict):
            return {k: self.mask_value(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [self.mask_value(v) for v in value]
        return value
