"""Where an answer stands on a yes/no question, said outright or not.

An answer says "yes" or "no" at its start ("No, the quick ratio was 0.54"), in its conclusion
("So, no, ..."), or only by restating the question's proposition, affirmed or negated ("3M
appears to have a reasonably healthy liquidity profile"; "gross margins have not been
consistent"; for a question about improvement, "the margin declined"). :func:`stance` finds
the first of these the answer offers and returns it with the statement that carries it.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from agility.metrics._answer import (
    ANSWER_GIVEN,
    ANSWER_LABEL,
    CONCLUSION_OPENERS,
    HYPOTHETICAL,
    METHOD,
    AnswerReading,
    Sentence,
    concludes,
    years_of,
)
from agility.metrics._numbers import FinancialNumber, parse_financial_numbers
from agility.metrics._refusal_language import refusal_phrases

__all__ = ["ABBREVIATIONS", "ASIDE", "HEDGED", "STATES", "Stance", "asks_yes_no", "claimed_direction", "committing_statement",
           "conceded_away", "declines_in_claim", "direction", "level_moves", "proposition",
           "question_terms",
           "said_stance", "stance", "states", "stem_set", "turned_to_answer",
           "without_lead_in"]

# "As of my last update in early 2023, ...": a hedge on what follows, not a refusal.
# (or where the writer's knowledge comes from: "Based on my training data (which may be
# outdated), Microsoft's FY2016 cost of revenue was ...")
_CUTOFF = re.compile(r"(?i)^\W*(?:as of (?:my|the) last (?:update|knowledge update|training)"
                     r"(?: in [\w ]{0,20}?\d{4})?|(?:based on|according to|from|per|going by) my "
                     r"(?:training data|training|knowledge|recollection|memory)(?: \([^()]{0,80}\))?)"
                     r",\s*")
_YES_NO_QUESTION = re.compile(r"(?i)^\W*(?:is|are|was|were|does|do|did|has|have|had|can|could|"
                              r"will|would|should)\b")
_LEAD_IN = re.compile(
    r"(?i)^\W*(?:(?:sure|certainly|okay|ok|great question)[!.,]\s*)?(?:(?:based on|according to|"
    r"from|given|using|looking at|as per|as of|upon|after)[^,.]{0,160},\s*)?")
# ("Yes and no." says neither; "I'd say yes", "In a word: no" say it too)
_SAY = (r"(?:(?:i(?:'d| would)?|we(?:'d| would)?) (?:say|think|believe)|in (?:a|one) word|"
        r"(?:the )?short answer(?: is)?)[,:]?\s+")
# an echo of the question's verb: "It did.", "They have not."
_ECHO_VERB = r"(?:did|does|do|has|have|had|is|are|was|were|can|could|will|would)"
_ECHO = rf"(?:it|they|this|that|he|she)\s+{_ECHO_VERB}"
# an opening that speaks of the question's subject: "It is lower: ...", not "This is the end
# of the filing."
_ECHOED = re.compile(rf"(?i)^\W*(?:it|they)\s+{_ECHO_VERB}\b")
_YES = re.compile(rf"(?i)^\W*(?:{_SAY})?(?:(?:yes|yep|correct|true|indeed)\b(?!,? (?:and|or|but) "
                  r"no\b)|"
                  # "Absolutely.", "Definitely, ..." (not "Definitely not")
                  rf"(?:absolutely|definitely|certainly|that'?s right|{_ECHO})(?=\s*[.!,;:]))")
_NO = re.compile(rf"(?i)^\W*(?:{_SAY})?(?:no|nope|false|not really|not at all|not quite|not exactly|"
                 r"(?:absolutely|definitely|certainly|clearly|probably) not)\b(?!\s+(?:specific|"
                 r"explicit|direct|mention|information|data|details?)\b)|"
                 rf"^\W*{_ECHO}(?: not|n't)(?=\s*[.!,;:])")
_LATE = re.compile(rf"(?i)\b(?:{CONCLUSION_OPENERS}|to answer (?:your|the) question|"
                   r"(?:but |however,? )?i (?:believe|think|would say)(?: that)?(?: the answer is)?|the "
                   r"(?:short |final )?answer (?:to (?:your|the|this) question )?is)[,:]? (?:the "
                   r"answer is )?(yes|no)\b")
# what a negation turns into an affirmation: "not insignificant", "not minor"
_SMALL_WORDS = (r"(?:insignificant|immaterial|negligible|unimportant|inconsequential|insubstantial|"
                r"trivial|minor|small|unusual|uncommon|immune|exempt|insulated)")
_NEGATION = re.compile(
    # ("there is no doubt / no question that ..." affirms; "anything but" denies)
    # ("no other customer exceeded 5%" quantifies over the others; it denies no claim)
    # ("not insignificant", "not immaterial" affirm: a negation of a negation)
    rf"(?i)\b(?:not(?! only| just| merely|(?: been| be)? {_SMALL_WORDS}\b)|"
    r"no(?! doubt\b| question\b| other\b| further\b)|never|"
    r"neither|nor|without|"
    r"cannot|none|nothing|lacks?|lacking|anything but|"
    r"fail(?:s|ed)? to|unlikely|insufficient|unable|rather than|instead of|as opposed to|"
    # what stops the question's action ("Kestrel suspended its dividend")
    r"suspend\w*|halt\w*|discontinu\w*|ceas\w*|"
    # "a less than healthy liquidity position", "far from robust"
    r"less than (?=(?:ideal|optimal|healthy|stellar|robust|adequate|strong|solid|favou?rable|"
    r"satisfactory|sufficient|comfortable)\b)|far from)\b|n't\b")
# Clauses of a statement: the claim is in one of them ("X is capital-intensive, but the degree
# may not be as high"; "While the filing does not say, the trend suggests stability").
_CLAUSE = re.compile(r"(?i),\s*(?:but|however|although|though|whereas|while|yet)\b|;\s*|"
                     r"(?<!anything)\s(?:but|however|although|whereas)\s")
_PARENTHETICAL = re.compile(r"\([^()]{0,200}\)")
# ("so" turns to what can be given: "The excerpt lacks FY2021 data, so I can only give FY2022:
# ..."; a semicolon alone does not: "...; it covers only the balance sheet, where total
# assets were $27.2 billion" gives context, not an answer)
# (or a dash before the claim, "I'm not going to guess — the cash flow statement shows
# $4,625 million", or a semicolon before the writer's own estimate, "does not quantify them;
# my rough estimate is $100 million"; a semicolon before what the source covers is no turn)
_TURN = re.compile(r"(?i)[;,]\s*(?:however|but|nevertheless|nonetheless|yet|instead|so)\b,?|"
                   r"\s[\u2014\u2013]\s|\s--\s|"
                   r";\s+(?=(?:my|our|i|we)\b[^.;]{0,30}\b(?:estimate|guess|best)\b)")
_CONCESSION = re.compile(r"(?i)^\W*(?:(?:in conclusion|in summary|overall|therefore|thus|so),?\s*)?"
                         r"(?:while|although|though|despite|even though|whereas|since|because|given that)\b[^,]*,")
_UP = re.compile(r"(?i)\b(?:increas\w*|improv\w*|rose|rise[sn]?|rising|grew|grow\w*|higher|gain\w*|"
                 r"exceed\w*|surpass\w*|outpac\w*|"
                 r"expand\w*|accelerat\w*|strengthen\w*|climb\w*|jump\w*|surg\w*|soar\w*|"
                 r"ramp\w*|upward\w*|(?<!\btied )(?<!\bmade )(?<!\bset )(?<!\bsummed )(?<!\bsum )"
                 r"(?<!\bsumming )(?<!\bwrap )(?<!\badd )"
                 r"(?<!\badds )(?<!\badded )(?<!\bend )(?<!\bends )(?<!\bended )up\b)")
# (not a phrase that moves nothing: "tied up in inventory", "fall into four groups", "broken
# down by segment")
_DOWN = re.compile(r"(?i)\b(?:decreas\w*|declin\w*|dropp?\w*|fell|fall(?:s|ing|en)?\b(?!\s+(?:into|under|within)\b)|"
                   r"lower|shr[iau]nk\w*|"
                   r"contract\w*|deteriorat\w*|decelerat\w*|reduc\w*|weaken\w*|worsen\w*|"
                   r"slipp?\w*|erod\w*|compress\w*|narrow\w*|dipp?\w*|slump\w*|downward\w*|"
                   r"(?<!\bbroken )(?<!\bbreak )(?<!\bbreaks )(?<!\bboils )(?<!\bboil )down\b)")
_WORD = re.compile(r"[a-z][a-z0-9&'\-]+")
_STOP = frozenset(["a", "an", "the", "and", "or", "of", "in", "on", "at", "to", "for", "by", "with", "from", "as", "is", "are", "was", "were", "be", "been", "being", "has", "have", "had", "it", "its", "this", "that", "these", "those", "which", "who", "whom", "what", "when", "where", "why", "how", "than", "then", "there", "their", "they", "them", "he", "she", "his", "her", "we", "our", "you", "your", "i", "do", "does", "did", "can", "could", "would", "should", "will", "may", "might", "also", "very", "more", "most", "less", "over", "under", "between", "during", "into", "about", "any", "based", "data", "fy", "year", "years", "company", "company's", "companies", "terms", "such", "per"])
# The part of a FinanceBench-style question after its main clause ("If X is not a useful
# metric ..., state that and explain why") is an instruction, not the proposition.
# The sentences of a FinanceBench-style question that instruct rather than ask ("If X is not a
# useful metric, state that and explain why."; "Round your answer to two decimal places.")
_INSTRUCTION = re.compile(r"(?i)^\W*(?:if|answer|please|round|give|use|using|base|basing|calculate|"
                          r"compute|respond|provide|explain|state|assume|you are|we (?:need|want)|"
                          r"address|define|by drawing|taking into account|in agreement|"
                          r"utilize|reference|consider)\b|\bis defined as\b")
_QUESTION_SPLIT = re.compile(r"(?<=[.?!])\s+")
# "Here's the question: what is ...": the question proper follows the colon
_ASKED = re.compile(r"(?i)(?:here(?:'s| is) the question|the question is|question)\s*:\s*")


# A statement of the task, not of its result ("To determine whether the margin improved, ...";
# "We can say that ..." concludes).
_TASK = re.compile(r"(?i)^\W*(?:the question (?:asks|is asking)|you(?:'re| are) asking|"
                   r"here(?:'s| is) (?:the|a|how)|"
                   r"to (?:determine|assess|evaluate|answer|find|see|calculate|identify|"
                   r"understand|check|judge|address)|in order to|let'?s|"
                   # "I've reviewed the excerpt for ...": what the writer did, not found
                   r"i(?:'ve| have)? (?:reviewed|looked|searched|checked|examined|gone|went)\b|"
                   r"we (?:need|will|can|must|"
                   r"would)(?! (?:say|conclude|infer|see) that\b)|first,|whether|if\b)|"
                   r"\b(?:whether|we need to|need to (?:calculate|compare|look|determine))\b|"
                   r"\?\s*$")
# "Operating margin is a useful metric for Adobe": about the metric, not the proposition.
_DEFINITION = re.compile(r"(?i)\b(?:is|be|are|remains?) an? (?:\w+ ){0,2}(?:metric|measure|"
                         r"indicator|ratio|measurement|gauge)\b|\bmeasures\b|\b(?:shows|"
                         r"represents|reflects|indicates) (?:the (?:proportion|percentage|"
                         r"amount|share)|how|what)\b")
# Talk about the sources rather than the company ("The context provided lists ...").
_SOURCE_TALK = re.compile(r"(?i)^\W*(?:however,\s*)?(?:the|this|these) (?:\w+ )?(?:context|"
                          r"information|evidence|excerpts?|text|documents?|filings?|data|"
                          r"details|passages?|statements?)(?: \w+)? (?:provided|given|available|"
                          r"shown|presented|lists?|discuss\w*|pertains?|includes?|contains?|"
                          r"mentions?|only|are|is|was|were|provides|shows|states|says|notes)\b|"
                          r"\bit is (?:mentioned|stated|noted|indicated)\b")
# Addressed to the reader ("the line item will tell you ...").
_READER = re.compile(r"(?i)\byou\b|\byour\b")
# ("I would characterize ..." is the writer's judgement, not a condition)
_CONDITIONAL = re.compile(r"(?i)\bif\b|(?<!\bI )\bwould\b|\bunless\b|\bassuming\b")
# Hedged claims ("3M likely maintains ...") do not commit an answer that has declined.
HEDGED = re.compile(r"(?i)\b(?:likely|probably|possibly|may|might|could|perhaps|presumably)\b")
# "it appears that ...", "it does not appear that ...": a hedged stance is still a stance.
_APPEARS = re.compile(r"(?i)\bit (?:(?:does|did) ?n[o']t )?(?:appears?|seems?) (?:that|to be)\b|"
                      # "Tallis does appear to have an improving gross margin profile"
                      r"\b(?:does|did) (?:not )?(?:appear|seem) to (?:be|have)\b")
_EVIDENTIAL = re.compile(r"(?i)\b(?:indicat\w*|suggest\w*|shows?|showing|demonstrat\w*|"
                         r"reflect\w*|means?|implies|signal\w*|points? to|conclude\w*)\b|"
                         # the writer's own judgement: "I'd still call its liquidity healthy"
                         r"(?i:\bI(?:'d| would)? (?:still )?(?:call|characteri[sz]e|describe|"
                         r"consider|rate|judge|deem)\b)")


# Advice to the reader ("Review the segment results", "you would need to check ...").
_ADVICE = re.compile(r"(?i)^\W*(?:\d+[.)]\s*)?(?:(?:finally|then|next|first(?:ly)?|second(?:ly)?|"
                     r"third(?:ly)?|also|additionally|lastly|alternatively),?\s+)?(?:compare|look|review|visit|check|consult|refer|"
                     r"search|find|locate|obtain|calculate|divide|add|subtract|identify|go|use|"
                     r"read|access|see|note|contact|examine|adjust|determine|follow|multiply|"
                     r"take|plug|apply|gather|download|ensure|please|keep|remember|consider)\b|"
                     r"\byou (?:can|could|would|may|might|should|will|need|must)\b|"
                     r"\b(?:i|one|we) (?:would|could|might) (?:recommend|suggest|refer|need|look|"
                     r"check|have to)\b|\bi (?:recommend|suggest)\b|\bsubject to change\b|"
                     r"\bwill (?:provide|show|include|give|contain|list|represent|be (?:listed|shown|"
                     r"reported))\b")
# A list item's label ("Capital expenditures (CapEx): look at ..."), read past for advice.
_ITEM_LABEL = re.compile(r"^\W*(?:\d{1,2}[.)]\s+)?[\w\s&()/,'-]{1,60}:\s*(?=\S)")
# General statements about metrics, not about the company ("a quick ratio above 1 typically
# indicates ...") carry no stance.
_GENERIC = re.compile(r"(?i)\b(?:typically|generally|usually|ideally|in general|as a rule|"
                      r"can vary|often|tends? to|a company|any company|company like|companies like|"
                      r"can (?:\w+ )?(?:affect|impact|reduce|increase|improve|lead|result|drive|"
                      r"help|change|vary|fluctuate|influence|be affected|be influenced)|"
                      # "High D&A can also be a sign of a capital-intensive business": what
                      # may mark one of a kind, not a claim about the company ("which are
                      # typical indicators of a ..." of its own investments is one)
                      r"(?:can|could|may|might) (?:also |often |usually )?be (?:an? )?(?:signs?|"
                      r"indicators?|indications?|characteristics?|hallmarks?|symptoms?) of an?)\b|"
                      # ("A quick ratio of 0.96 indicates ..." states the company's figure)
                      r"^\W*an?\s(?![^,.;:]{0,40}?\bof\s+\$?\d)")


# "typically", "generally": adverbs that hedge a claim; in a statement about the company's
# own figures ("Best Buy's gross margins have generally been consistent") they do not make
# it a general remark about metrics
_HEDGING_ADVERB = re.compile(r"(?i)\b(?:typically|generally|usually|in general|often)\b")
_NAME_WORD = re.compile(r"\b([A-Z0-9][\w&.\-]*(?:\s+[A-Z][\w&.\-]*)*)(?:'s|\u2019s)\b")


def owned_claim(text: str, question: str) -> bool:
    """Whether ``text`` speaks of the company's own figures ("3M's liquidity profile", "Best
    Buy's gross margins": the question's possessive, or the company named in the question
    with one) and its only general words are hedging adverbs ("generally", "typically")."""
    names = {m.group(1) for m in _NAME_WORD.finditer(question)} | {
        w for w in re.findall(r"\b[\w&\-]*[A-Z][\w&\-]*\b", question)
        if w.lower() not in _STOP and w.lower() not in _QUESTION_WORDS}
    owner = any(re.search(rf"\b{re.escape(n)}(?:'s|\u2019s)", text) for n in names)
    rest = _HEDGING_ADVERB.sub(" ", text)
    return owner and not _GENERIC.search(rest)


_QUESTION_WORDS = frozenset(["does", "did", "do", "is", "are", "was", "were", "has", "have", "had",
                             "can", "could", "will", "would", "should", "if", "based", "what",
                             "which", "how", "as", "from", "among", "in", "for", "by", "answer",
                             "please", "round", "give", "using", "assume"])


@dataclass(frozen=True)
class Stance:
    """``answer`` is "yes" or "no"; ``sentence`` is where the answer says so; ``how`` is
    "said" (an explicit yes/no) or "implied" (the question's proposition, affirmed or not)."""

    answer: str
    sentence: Sentence
    how: str


def _stems(words: set[str]) -> set[str]:
    return {w[:5] for w in words if w not in _STOP and len(w) > 2}


def plain_stems(text: str) -> frozenset[str]:
    """The stems of ``text``'s own words, an abbreviation not read as its words (see
    :func:`stem_set`)."""
    return frozenset(_stems(set(_WORD.findall(text.lower()))))


_US = re.compile(r"\bU\.S\.(?:A\.)?|\bUSA?\b")
_UNITED_STATES = frozenset({"unite", "state"})


@functools.lru_cache(maxsize=8192)
def stem_set(text: str) -> frozenset[str]:
    """Five-letter stems of the content words of ``text`` (cheap stemming); a financial
    abbreviation also stands for its words and the words for it ("capex" and "capital
    expenditure")."""
    lowered = text.lower()
    words = set(_WORD.findall(lowered))
    stems = _stems(words)
    if _US.search(text):
        # (two letters are no word of their own, but "US" and "U.S." are a country's name)
        stems |= _UNITED_STATES
    for short_word, first_word, long_form, both in ABBREVIATIONS:
        if (short_word is not None and short_word in words) or (
                first_word in lowered and long_form.search(lowered)):
            stems |= both
    return frozenset(stems)


_ABBREVIATION_TABLE = {
    "capex": "capital expenditure", "cogs": "cost of goods sold", "ppe": "property plant equipment",
    "pp&e": "property plant equipment", "ppne": "property plant equipment",
    "roa": "return on assets", "roe": "return on equity", "eps": "earnings per share",
    "fcf": "free cash flow", "d&a": "depreciation amortization", "sg&a": "selling general "
    "administrative", "r&d": "research development", "ebit": "earnings before interest taxes",
    "dpo": "days payable outstanding", "dso": "days sales outstanding",
    "dio": "days inventory outstanding", "ccc": "cash conversion cycle",
    "opex": "operating expenses", "cfo": "cash from operations", "ar": "accounts receivable",
    "ap": "accounts payable", "etr": "effective tax rate",
    # regions as filings abbreviate them ("EMEA" for "the European, Middle Eastern and
    # African region")
    "emea": "europe middle east africa", "apac": "asia pacific", "latam": "latin america",
    "lacc": "latin america canada caribbean", "amesa": "africa middle east south asia",
}
def _phrase(long_form: str) -> re.Pattern[str]:
    return re.compile(r"\b" + r"\w*\W+(?:and\W+|of\W+|on\W+|per\W+|to\W+)?".join(
        re.escape(w) for w in long_form.split()) + r"\w*")


def _long_stems(long_form: str) -> frozenset[str]:
    return frozenset(w[:5] for w in long_form.split() if len(w) > 2)


ABBREVIATIONS: list[tuple[str | None, str, re.Pattern[str], frozenset[str]]] = [
    (short, long_form.split()[0], _phrase(long_form), frozenset({short[:5]}) | _long_stems(long_form))
    for short, long_form in _ABBREVIATION_TABLE.items()]
# line items that are a metric under another name ("purchases of property and equipment"
# are the capital expenditure; the metric's name does not stand for the line item's words)
ABBREVIATIONS += [
    (None, item.split()[0], _phrase(item),
     _long_stems(item) | {short[:5]} | _long_stems(_ABBREVIATION_TABLE[short]))
    for short, item in [("capex", "purchases property equipment"),
                        ("capex", "purchases property plant equipment"),
                        ("capex", "additions property plant equipment"),
                        ("capex", "purchases pp&e"), ("capex", "additions pp&e"),
                        ("cogs", "cost revenue"), ("cogs", "cost sales"),
                        ("capex", "capital spending")]]


def proposition(question: str, *, asides: bool = False) -> str:
    """The question's proposition: its instruction sentences, a leading "Based on ...,"
    and (unless ``asides``) its parenthetical asides stripped."""
    text = question.strip()
    asked = list(_ASKED.finditer(text))
    if asked:
        text = text[asked[-1].end():]
    kept = [_LEAD_IN.sub("", s, count=1) for s in _QUESTION_SPLIT.split(text)
            if s and not _INSTRUCTION.search(s)]
    text = " ".join(kept) if kept else text
    return text if asides else _PARENTHETICAL.sub(" ", text)


_COMPOUND = re.compile(r"(?<=[A-Za-z])-(?=[A-Za-z])")


def question_terms(question: str) -> frozenset[str]:
    """The stems of the question's proposition, its asides included ("return on assets
    (ROA)")."""
    # a hyphenated compound asks for its parts too: "capital-intensive?" is answered by
    # "capital intensive" as by "capital-intensive" (whose stem is its first part's)
    return stem_set(_COMPOUND.sub(" ", proposition(question, asides=True)))


def _terms_of(text: str) -> frozenset[str]:
    """The stems of ``text`` with its compounds by their parts, as the question's are ("a
    high-growth company" takes up "a high growth company?")."""
    return stem_set(_COMPOUND.sub(" ", text))


# levels joined by an arrow: "43.0% (FY2021) → 41.2% (FY2022)" went down (a level may lead
# the next arrow: "$5.1B -> $4.2B -> $5.6B"); "2021 → 2022" is a period, not two levels
_ARROW = re.compile(r"(\d[\d,]*(?:\.\d+)?)\s*(?:%|[KkMmBb]n?\b|million\b|billion\b)?\s*"
                    r"(?:\([^()]{0,20}\)\s*)?(?=(?:→|->|=>)\s*\$?(\d[\d,]*(?:\.\d+)?))")
_YEAR_PAIR = re.compile(r"^(?:19|20)\d\d(?:19|20)\d\d$")


def direction(text: str) -> str | None:
    """"up" or "down" when ``text`` speaks of a change one way only (in words, or levels
    joined by an arrow)."""
    up, down = bool(_UP.search(text)), bool(_DOWN.search(text))
    if not (up or down) and ("→" in text or "->" in text or "=>" in text):
        ways = {float(a.replace(",", "")) < float(b.replace(",", ""))
                for a, b in _ARROW.findall(text) if a != b and not _YEAR_PAIR.match(a + b)}
        up, down = True in ways, False in ways
    if not (up or down):
        # two levels set against each other, the later first ("9.2% in FY2022 compared with
        # 11.4% in the prior year"), or from one to the other ("moved from 5.9x to 6.6x")
        ways = {later.value > earlier.value
                for earlier, later, _ in (*level_moves(text), *_later_first(text))
                if later.value != earlier.value}
        up, down = True in ways, False in ways
    return "up" if up and not down else "down" if down and not up else None


# a level as a change writes it: "$1.2 billion", "9.2%", "5.9x"
LEVEL = r"\$?\d[\d,]*(?:\.\d+)?\s*(?:%|x\b|[KkMmBb]n?\b|million\b|billion\b)?"
# "from $1.20B to $1.65B", "to $2.58 in FY2022 from $2.14"
_MOVE = re.compile(rf"\bfrom\s+(?:an?\s+\w+\s+of\s+)?({LEVEL})[^.;]{{0,30}}?\bto\s+"
                   rf"(?:an?\s+\w+\s+of\s+)?({LEVEL})|\bto\s+({LEVEL})[^.;]{{0,30}}?\bfrom\s+"
                   rf"({LEVEL})", re.IGNORECASE)
# "9.2% in FY2022 compared with 11.4% in the prior year"
_LATER_FIRST = re.compile(
    rf"({LEVEL})\s+(?:in|for)\s+(?:fiscal\s+|FY\s?)?(?:19|20)\d\d,?\s+(?:compared\s+(?:with|to)|"
    rf"versus|vs\.?|against)\s+(?:an?\s+|the\s+)?({LEVEL})\s+(?:in\s+(?:fiscal\s+|FY\s?)?"
    r"(?:19|20)\d\d|(?:in\s+)?the\s+(?:prior|previous|preceding)\s+(?:fiscal\s+)?year|a\s+year\s+"
    r"(?:earlier|ago))", re.IGNORECASE)


def _levels(earlier: str, later: str) -> tuple[FinancialNumber, FinancialNumber] | None:
    """The two levels as figures, scales read ("$850 million" is below "$1.2 billion"); none
    when either is a year ("from 2021 to 2022" is a period)."""
    first, second = parse_financial_numbers(earlier), parse_financial_numbers(later)
    return (first[0], second[0]) if first and second else None


def level_moves(text: str) -> list[tuple[FinancialNumber, FinancialNumber, re.Match[str]]]:
    """The (from, to) levels ``text`` moves between, and where: "from $1.20B to $1.65B",
    "to $2.58 in FY2022 from $2.14"."""
    found = []
    for m in _MOVE.finditer(text):
        pair = _levels(m.group(1), m.group(2)) if m.group(1) else _levels(m.group(4), m.group(3))
        if pair is not None:
            found.append((*pair, m))
    return found


def _later_first(text: str) -> list[tuple[FinancialNumber, FinancialNumber, re.Match[str]]]:
    found = []
    for m in _LATER_FIRST.finditer(text):
        pair = _levels(m.group(2), m.group(1))
        if pair is not None:
            found.append((*pair, m))
    return found


# "while SG&A expenses decreased as a percentage of sales, ...", "even though ..., ": a
# concession, whose change is not the one the statement claims
_CONCEDED = re.compile(r"(?i)\b(?:while|although|though|even though|despite|whereas)\b[^,;:]*,")


def conceded_away(text: str) -> str:
    """``text`` without its concessions ("while SG&A decreased as a share of sales, ...")."""
    main = _CONCEDED.sub(" ", text)
    return main if main.strip() else text


def claimed_direction(text: str) -> str | None:
    """The direction ``text`` claims: that of its main clause, a concession set aside ("while
    SG&A decreased, the wages component increased" claims up); else of the whole."""
    return direction(conceded_away(text))


_BARE_YES_NO = re.compile(r"(?i)^[^\w\n]*(yes|no)[^\w\n]*$")


def said_stance(reading: AnswerReading, question: str | None = None) -> Stance | None:
    """An explicit yes or no: at the answer's start, or in its conclusion ("So, no, ...");
    with ``question``, the start is after the question asked again."""
    sentences = [s for s in reading.sentences if s.start < reading.illustration_start]
    if not sentences:
        return None
    first = sentences[0]
    # (the question asked again, "Will J&J's EPS growth accelerate? **No, ~80% likely.**",
    # opens nothing: the statement after it does)
    if question is not None and first.text.rstrip(" *_").endswith("?") and len(sentences) > 1:
        asked = question_terms(question)
        if asked and len(_terms_of(first.text) & asked) >= 0.6 * len(asked):
            first = sentences[1]
    # "Answer: Yes, ...", "**Short answer:** No": the label is no part of the stance
    head = _LEAD_IN.sub("", ANSWER_LABEL.sub("", first.text, count=1), count=1)
    if _YES.match(head):
        return Stance("yes", first, "said")
    if _NO.match(head):
        return Stance("no", first, "said")
    for sentence in reversed(sentences):
        late = _LATE.search(sentence.text)
        if late:
            return Stance(late.group(1).lower(), sentence, "said")
        # a yes or no that is a statement of its own, wherever it is ("**No.** Amcor's gross
        # margin is not improving." after the table that works it out)
        bare = _BARE_YES_NO.match(sentence.text)
        if bare is not None:
            return Stance(bare.group(1).lower(), sentence, "said")
        # a yes or no labelled as the answer, wherever it is ("Final Answer: No" after the
        # figures of a structured answer)
        # (or under another label of the answer: "Verdict: yes, Verizon is ...")
        given = ANSWER_GIVEN.match(sentence.text) or ANSWER_LABEL.match(sentence.text)
        if given is not None:
            head = sentence.text[given.end():]
            if _YES.match(head):
                return Stance("yes", sentence, "said")
            if _NO.match(head):
                return Stance("no", sentence, "said")
    return None


def _implied(reading: AnswerReading, question: str, strict: bool,
             grading: bool = False) -> Stance | None:
    terms = question_terms(question)
    if len(terms) < 2:
        return None
    asked_way = direction(proposition(question))
    # the grader's reading: a statement that puts the question's predicate in words of its
    # own ("a sound liquidity position", or "strained" for "healthy") takes it up
    found = _predicate(question) if grading else None
    predicate, predicate_terms = found if found is not None else (None, frozenset[str]())
    candidates = []
    for sentence in reading.sentences:
        if sentence.start >= reading.illustration_start:
            break
        # "it does not appear that X's margins are consistent, and they do tend to
        # fluctuate": a hedged stance on the company, not a general remark about metrics
        generic = (bool(_GENERIC.search(sentence.text)) and not _APPEARS.search(sentence.text)
                   and not (grading and owned_claim(sentence.text, question)))
        if (_TASK.search(sentence.text) or METHOD.search(sentence.text) or "=" in sentence.text
                or generic or HYPOTHETICAL.search(sentence.text)):
            continue
        # (refusal language conceded or turned from before the claim, "While I cannot
        # compute the exact ratio, X's liquidity appears healthy", leaves the claim standing)
        if strict and (declines_in_claim(sentence.text) or generic
                       or _ADVICE.search(sentence.text) or _DEFINITION.search(sentence.text)
                       or _SOURCE_TALK.search(_LEAD_IN.sub("", sentence.text, count=1))
                       or not (concludes(sentence.text)
                               or _EVIDENTIAL.search(sentence.text)
                               or (grading and (_opening_claim(sentence)
                                                or _APPEARS.search(sentence.text))))):
            continue
        # (with refusal language, a question about which way a figure went is taken up only
        # by a statement that says a way: "has been showing a strong operating margin
        # profile" does not say it improved)
        if strict and grading and asked_way and not direction(sentence.text):
            continue
        taken = _terms_of(sentence.text)
        if predicate is not None and predicate.search(sentence.text):
            taken |= predicate_terms
        # an opening that echoes the question ("It is lower: ...", "It was in the black")
        # speaks of its subject in a pronoun
        if sentence.index == 0 and _ECHOED.match(sentence.text):
            taken |= terms
        # (a conclusion saying which way takes a question about a change up in fewer of its
        # words: "Therefore, Danforth has increased its debt" for "Has Danforth Logistics
        # increased its debt on balance sheet between FY2021 and FY2022?")
        share = 0.35 if grading and asked_way and concludes(sentence.text) and direction(
            sentence.text) else 0.5
        if len(taken & terms) >= max(2, share * len(terms)):
            candidates.append(sentence)
    if grading:
        # a statement that speaks of what the question asks ("... may not accelerate in
        # 2023") answers it before one that only names its subject ("reflecting growth of
        # 3.5%")
        asked = predicate
        if asked is not None:
            speaking = [s for s in candidates if asked.search(s.text)]
            # (with refusal language, only when the answer takes the question up: its
            # conclusion on the predicate may be about what the sources mention)
            if not speaking and (candidates or not strict):
                # the answer takes the question up, but its conclusion on the predicate
                # names the subject by a word of its own ("the growth rate may not
                # accelerate"): that conclusion answers it
                speaking = [s for s in reading.sentences
                            if s.start < reading.illustration_start and asked.search(s.text)
                            # (a labelled answer may be the predicate alone: "My
                            # verdict: not healthy.")
                            and len(stem_set(s.text) & terms) >= (
                                1 if ANSWER_LABEL.match(s.text) else 2)
                            and (concludes(s.text) or _EVIDENTIAL.search(s.text))
                            and not refusal_phrases(s.text) and not _GENERIC.search(s.text)
                            and not _CONDITIONAL.search(s.text) and not _TASK.search(s.text)]
            candidates = speaking or candidates
        # a side note ("However, it is important to note that the margin is still higher
        # than in FY2020") qualifies the claim it follows and does not replace it
        candidates = [s for s in candidates if not _SIDE_NOTE.search(s.text)] or candidates
        # "... but it does not necessarily mean that the growth rate is accelerating": a
        # statement that declines to conclude on the question takes no stance on it
        # ("whether X is capital-intensive depends on these figures" takes none either)
        candidates = [s for s in candidates if not _NOT_NECESSARILY.search(s.text)
                      and not DEPENDS.search(s.text)]
    if not candidates:
        return None
    # an opening statement that takes up the proposition is the answer; otherwise the last
    # statement that concludes or draws on evidence ("this indicates ...")
    concluding = [s for s in candidates
                  if concludes(s.text) or _EVIDENTIAL.search(s.text)
                  or (grading and _DRAWN.search(s.text))]
    opening = next((s for s in candidates[:1] if s.index <= 1 and not _DEFINITION.search(s.text)
                    and not reading.figures_in(s)), None)
    chosen = opening or (concluding[-1] if concluding else candidates[0])
    claim = _claim(chosen.text, terms, predicate)
    question_negations = len(_NEGATION.findall(proposition(question)))
    # (a negation inside a condition is not the claim's: "tight liquidity if inventory
    # can't be converted quickly")
    conditionless = _IF_CLAUSE.sub(" ", claim)
    # ("not minor" denies a question asking whether it was minor, though it affirms others)
    asked_words = proposition(question).lower()
    denied_own = sum(1 for m in _LITOTES.finditer(conditionless)
                     if re.search(rf"\b{m.group(1).lower()}\b", asked_words))
    negated = len(_NEGATION.findall(conditionless)) + denied_own > question_negations
    said_way = direction(claim)
    # (levels alone say which way the figure went; for a cost, a debt or a churn, down is
    # the improvement: "58% in 2022 compared with 62% in 2021" improved a cost ratio)
    if said_way and _EVALUATIVE.search(asked_words) and _LOWER_IS_BETTER.search(asked_words) \
            and not (_UP.search(claim) or _DOWN.search(claim)):
        said_way = "up" if said_way == "down" else "down"
    opposite_way = bool(asked_way and said_way and said_way != asked_way)
    if opposite_way or _contrary(proposition(question), claim):
        negated = not negated
    return Stance("no" if negated else "yes", chosen, "implied")


_LITOTES = re.compile(rf"(?i)\bnot ({_SMALL_WORDS})\b")
_EVALUATIVE = re.compile(r"(?i)\b(?:improv\w*|worsen\w*|deteriorat\w*|strengthen\w*|weaken\w*)")
_LOWER_IS_BETTER = re.compile(r"(?i)\b(?:cost|costs|expense|expenses|churn|leverage|debt|days|dso|dio|"
                              r"dpo|loss|losses|efficiency ratio|combined ratio)\b|-to-income")


# "However, it is important to note that ...", "It is worth noting ...", "Keep in mind ...":
# a remark the answer itself marks as aside from its conclusion
_SIDE_NOTE = re.compile(r"(?i)^\W*(?:(?:however|but|that said|still|nevertheless|nonetheless|"
                        r"additionally|also)\W+)?(?:it(?:'s| is| was) (?:also )?(?:important|"
                        r"worth|crucial|essential) (?:to )?not(?:e|ing)|(?:please )?note that|"
                        r"keep in mind|bear in mind)\b")


# a condition after the claim: "..., which points to tight liquidity if inventory can't be
# converted quickly"
_IF_CLAUSE = re.compile(r"(?i)(?<=\w)\s+(?:if|unless|in case)\b[^,.;:]*")


DEPENDS = re.compile(r"(?i)\b(?:depends?|depending) (?:on|upon)\b|\bit depends\b|\bmay or may not\b|"
                     r"\bmight or might not\b")


# "it does not necessarily mean / indicate that ...": declining to conclude
_NOT_NECESSARILY = re.compile(r"(?i)\b(?:not|n't) necessarily\b|\bnecessarily not\b")


# "Based on these calculations, ...": a claim drawn from the working before it
_DRAWN = re.compile(r"(?i)^\W*based on (?:these|this|those|the above|the (?:above |preceding |"
                    r"previous )?(?:calculations?|analysis|comparisons?|figures|results?|ratios?|"
                    r"trends?))\b")


# "there were no specific events mentioned": what the sources mention, not the company
_MENTIONED = re.compile(r"(?i)\b(?:mentioned|stated|specified|disclosed|explicitly)\b")


def _opening_claim(sentence: Sentence) -> bool:
    """Whether ``sentence`` opens the answer with a plain claim on the question ("3M does
    maintain a stable trend of dividend distribution"): not hedged or conditional, not the
    task or method ("we can calculate ..."), not about what the sources mention."""
    # (the claim after a turn from refusal language: "I can't provide legal advice on
    # these cases, but based on the 10-K, X does report material litigation")
    turn = turned_to_answer(sentence.text)
    claim = sentence.text if turn is None else sentence.text[turn:]
    text = _LEAD_IN.sub("", claim.lstrip(" ,"), count=1)
    return (sentence.index == 0 and not HEDGED.search(claim)
            and not _CONDITIONAL.search(claim) and not _TASK.search(text)
            and not METHOD.search(text) and not _MENTIONED.search(claim))


# Predicates of financial questions and the words that assert their contrary ("margins have
# fluctuated" answers "are margins consistent?" with no).
_CONTRARIES = [
    (re.compile(r"(?i)\b(?:consistent|stable|steady)\b"),
     re.compile(r"(?i)\b(?:fluctuat\w*|volatil\w*|inconsistent|unstable|erratic|varied)\b")),
    (re.compile(r"(?i)\b(?:healthy|strong|solid|robust|sound|adequate|comfortable|ample)\b"),
     re.compile(r"(?i)\b(?:weak\w*|unhealthy|poor|strained|tight|concerning|fragile|precarious|"
                r"inadequate|stretched|constrained|shaky|unfavou?rable|"
                # a ratio short of the usual floor: "well below the 1.0 benchmark"
                r"(?:below|under|short of|less than) (?:the |a )?(?:1(?:\.0+)?x?|one|"
                r"(?:1(?:\.0+)?x? )?(?:benchmark|threshold|rule of thumb))(?![\d.]))\b")),
    (re.compile(r"(?i)\bpositive\b"), re.compile(r"(?i)\bnegative\b")),
    # "any change in the number of stores?" against "the store count was unchanged"
    (re.compile(r"(?i)\bchange[sd]?\b"), re.compile(r"(?i)\b(?:unchanged|remained (?:the same|"
                                                       r"flat|constant|steady))\b")),
    (re.compile(r"(?i)\bcapital[- ]intensive\b"), re.compile(r"(?i)\b(?:asset|capital)[- ]light\b")),
    (re.compile(r"(?i)\bhigh\b"), re.compile(r"(?i)\b(?:low|modest|moderate|slow)\b")),
    (re.compile(r"(?i)\baccelerat\w*"), re.compile(r"(?i)\b(?:decelerat\w*|slow\w*)\b")),
    # "profitable" against a loss ("Kestrel lost $320 million", "in the red")
    (re.compile(r"(?i)\b(?:profitab\w*|in the black)"),
     re.compile(r"(?i)\b(?:(?:un|non-?)profitab\w*|loss(?:es)?|lost|loss-making|in the red)\b")),
    # "sustainable" against "unsustainable", "favorable" against "unfavorable"
    *((re.compile(rf"(?i)\b{stem}\w*"), re.compile(rf"(?i)\b(?:un|non-?){stem}\w*"))
      for stem in ("sustainab", "favou?rab", "predictab", "manageab", "affordab", "viab",
                   "reliab")),
    # a comparison: "higher than" against "lower", "trails"
    (re.compile(r"(?i)\b(?:higher|greater|larger|exceed\w*|outpac\w*|surpass\w*)\b"),
     re.compile(r"(?i)\b(?:lower|smaller|less|trail\w*|lagg?\w*|behind)\b")),
    # "subject to cyclicality" against "insulated from cyclicality"
    (re.compile(r"(?i)\b(?:subject to|exposed to|affected by|sensitive to|vulnerable to)\b"),
     re.compile(r"(?i)\b(?:insulated|immune|shielded|protected|resilient)\b")),
]


def _predicate(question: str) -> tuple[re.Pattern[str], frozenset[str]] | None:
    """What the yes/no question asks of its subject, with its contrary: "accelerate" (or
    "decelerate", "slow"), "consistent" (or "fluctuate"), "healthy" (or "weak") ...; and the
    question's terms that are the predicate ("healthy")."""
    asked = proposition(question)
    for word, contrary in _CONTRARIES:
        found = word.search(asked)
        if found:
            both = (word.pattern + "|" + contrary.pattern).replace("(?i)", "")
            return re.compile(both, re.IGNORECASE), stem_set(found.group(0))
    return None


def _contrary(asked: str, claim: str) -> bool:
    """Whether ``claim`` asserts the contrary of the question's predicate (and not the
    predicate itself): "some fluctuation" or "slightly lower" does not."""
    for word, contrary in _CONTRARIES:
        if not word.search(asked) or word.search(claim):
            continue
        for found in contrary.finditer(claim):
            if not _QUALIFIED.search(claim[max(0, found.start() - 20):found.start()]):
                return True
    return False


_QUALIFIED = re.compile(r"(?i)\b(?:some|slight|slightly|minor|little|small|modest|minimal)\s+$")


def _claim(text: str, terms: frozenset[str], predicate: re.Pattern[str] | None = None) -> str:
    """The clause of ``text`` that carries its claim about the question's terms (with the
    grader's ``predicate``, first a clause that speaks of it: "the dividend may look covered,
    but I would not call it sustainable")."""
    text = _LEAD_IN.sub("", text, count=1)
    concession = _CONCESSION.match(text)
    head = [concession.group(0)] if concession else []
    rest = text[concession.end():] if concession else text
    split = _CLAUSE.split(rest)
    clauses = [c for c in [*split, *head] if c.strip()]
    if not clauses:
        return text
    # (of two clauses that speak of the predicate, the one a "but" turns to is the claim:
    # "shown some consistency, but they have not been immune to fluctuations beyond 2%")
    turned = {c for c, sep in zip(split[1:], _CLAUSE.findall(rest)) if _TURNING.search(sep)}
    # the clause that speaks most of the question's terms; on a tie, the main clause
    return max(clauses, key=lambda c: (predicate is not None and bool(predicate.search(c)),
                                       predicate is not None and c in turned,
                                       len(_terms_of(c) & terms)))


_TURNING = re.compile(r"(?i)\b(?:but|however|yet)\b")


# an aside in parentheses ("(which may be outdated)", "(construction payable is shown
# separately)"): no part of the claim it sits in
ASIDE = re.compile(r"\([^()]{0,120}\)")


def declines_in_claim(text: str) -> list[str]:
    """Refusal language in a statement's claim: a concession before it ("Although the filing
    does not say so directly, capex was $1,577 million"; "The filing does not break it out;
    however, capex was $1,577 million") does not make it a refusal."""
    # (nor does an aside in parentheses: "... was $255 million (construction payable is
    # shown separately and is not included)")
    # (under a label too: "**TL;DR:** As of my last update, Verizon is ...")
    claim = _CUTOFF.sub("", ANSWER_LABEL.sub("", text, count=1), count=1)
    return refusal_phrases(_after_turn(ASIDE.sub(" ", claim)))


def _after_turn(text: str) -> str:
    """A statement's claim: after its concession ("Although the filing does not say so,
    ...") and after its last turn ("...; however, ..."), before a concession that trails it
    ("..., although I can't completely rule out ...")."""
    claim = _TURN.split(_CONCESSION.sub("", text, count=1))[-1]
    return _TRAILING_CONCESSION.sub("", claim) or claim


_TRAILING_CONCESSION = re.compile(r"(?i),\s*(?:although|though|even though|albeit)\b[^.]*")


def without_lead_in(text: str) -> str:
    """``text`` without a lead-in naming its source or basis ("Based on the information
    provided in the 10-K,", "According to the filing,"): where a statement comes from is
    not what it says."""
    return _LEAD_IN.sub("", text, count=1)


def turned_to_answer(text: str) -> int | None:
    """Where a statement turns from refusal language to a claim of its own ("The context
    does not explicitly state capex, but purchases of PP&E were $1,577 million"): the
    offset after its last turn, when refusal language precedes it and none follows; else
    None."""
    turns = list(_TURN.finditer(text))
    if not turns:
        return None
    after = turns[-1].end()
    if refusal_phrases(text[:turns[-1].start()]) and not refusal_phrases(text[after:]):
        return after
    return None


# A statement has a verb; a pasted table row ("United States $ 1,204 $ 1,145") has none.
# (lower case: "Developed Rest of the World" in a table row is a name, not a verb)
STATES = re.compile(r"\b(?:is|are|was|were|be|been|has|have|had|did|does|do|will|would|can|"
                    r"could|should|may|might|include[sd]?|show[sn]?|report(?:s|ed)?|operates?|"
                    r"sells?|[a-z]{3,}ed|[a-z]{3,}es|"
                    # irregular pasts: "Asia Pacific led, growing 14%"
                    r"led|grew|rose|fell|saw|made|took|came|gave|got|won|lost|paid|spent|held|"
                    r"kept|drove|brought|bought|sold|became|stood|ran|went|outgrew|"
                    # verbs in the third person that "-es" does not catch: "Aerovane plans to
                    # raise output", "The 10-K mentions the following acquisitions:"
                    r"plans|mentions|lists|expects|forecasts|intends|anticipates|notes|cites|"
                    r"names|targets|aims|seeks|remains|contains|consists|holds|lead|leads)\b")


def states(text: str) -> bool:
    """Whether ``text`` states something (has a verb besides its source lead-in's)."""
    return bool(STATES.search(without_lead_in(text)))


# what answers a question's instruction, not the question: "Operating margin is still a
# useful metric for AMD." (for "What drove ...? If operating margin is not a useful metric,
# then state that")
_USEFUL = re.compile(r"(?i)^\W*(?:\w+\s+){1,4}(?:is|are|remains?)\s+(?:still\s+|also\s+|indeed\s+)?"
                     r"(?:a\s+|an\s+)?(?:useful|relevant|meaningful|appropriate|valid|suitable)\s+"
                     r"(?:\w+\s+)?(?:metric|measure|indicator|gauge)\b")


def committing_statement(reading: AnswerReading, question: str, *,
                         strict: bool = False) -> Sentence | None:
    """The statement in which the answer takes up the question and answers it.

    That is a statement that states most of the question's terms and is neither a statement
    of the task or method, refusal language, a general remark about a metric, advice to the
    reader, talk about the sources, nor part of an illustration. The answer's opening
    statement if it is one; else its last concluding one; else the first.

    Args:
        reading: the answer, read.
        question: the question.
        strict: for an answer with refusal language: also no hedged or conditional
            statement ("it might raise its guidance"), no formula, and none about another
            period than the question's.

    Returns:
        The statement, or None when the answer has none.
    """
    terms = question_terms(question)
    if len(terms) < 2:
        return reading.sentences[0] if reading.sentences else None
    asked = years_of(question)

    def commits(s: Sentence) -> bool:
        text = _LEAD_IN.sub("", s.text, count=1)
        if (s.start >= reading.illustration_start or _TASK.search(text) or METHOD.search(text)
                or _NOT_NECESSARILY.search(s.text)
                or declines_in_claim(s.text) or _GENERIC.search(s.text)
                or _DEFINITION.search(s.text) or _ADVICE.search(text)
                or _ADVICE.search(_ITEM_LABEL.sub("", text, count=1))
                or _SOURCE_TALK.search(text) or _USEFUL.search(text)):
            return False
        if strict:
            if (HEDGED.search(s.text) or "=" in s.text or _CONDITIONAL.search(s.text)
                    or _READER.search(s.text)):
                return False
            years = years_of(s.text)
            if asked and years and not years & {y + d for y in asked for d in (-1, 0, 1)}:
                return False
        return len(stem_set(s.text) & terms) >= max(2, 0.5 * len(terms))

    # a statement labelled as the answer ("Final answer: Amcor's restructuring liability is
    # predominantly for facility closures ...") takes the question up, whatever words of it
    # it repeats
    # (not the question restated under the label: "Answer: Did Pfizer grow its PP&E?")
    labelled = [s for s in reading.sentences if ANSWER_GIVEN.match(s.text)
                and s.start < reading.illustration_start and not declines_in_claim(s.text)
                and not s.text.rstrip().endswith("?")]
    if labelled:
        return labelled[-1]
    candidates = [s for s in reading.sentences if commits(s)]
    if not candidates:
        return None
    # a closing statement set apart in bold is the answer's conclusion
    closing = reading.closing
    if closing is not None and candidates[-1].start >= closing:
        return next(s for s in candidates if s.start >= closing)
    first = candidates[0]
    if first.index <= 1 and states(first.text):
        return first
    concluding = [s for s in candidates if concludes(s.text) or _EVIDENTIAL.search(s.text)]
    # (an opening without a verb lists, it does not answer: "Revenue growth by region:
    # Americas 16%, EMEA 9%, Asia Pacific 14%. Therefore, the Americas had the highest ...")
    if first.index <= 1 and not concluding:
        return first
    return concluding[-1] if concluding else first


def asks_yes_no(question: str) -> bool:
    """Whether ``question`` is a yes/no question ("Does ...?", "As of Q2, is ...?")."""
    return bool(_YES_NO_QUESTION.match(_LEAD_IN.sub("", question.strip(), count=1)))


def stance(reading: AnswerReading, question: str, *, strict: bool = False,
           grading: bool = False) -> Stance | None:
    """Where the answer stands on the yes/no question ``question``.

    Args:
        reading: the answer, read.
        question: the yes/no question.
        strict: for an answer with refusal language: an implied stance counts only from a
            concluding or evidential statement ("this indicates ...") that is neither refusal
            language nor a general remark about the metric.
        grading: the correctness grader's reading (version 8): with ``strict``, an
            unhedged opening statement that takes the question's proposition up ("3M does
            maintain a stable trend of dividends") also stands, since a caveat with refusal
            language after it qualifies the answer and does not take it back; and of the
            statements that take the question up, those that speak of its predicate
            ("accelerate", or "decelerate") answer it first.

    Returns:
        The :class:`Stance`, or None when the answer does not say (it declines, or
        discusses without concluding).
    """
    return said_stance(reading, question) or _labelled_stance(reading, question) or _implied(
        reading, question, strict, grading)


# a yes or no under a label of the question's words: "healthy liquidity: no" (a JSON answer's
# "healthy_liquidity": false), "Improving margin profile - Yes"
_LABELLED_YES_NO = re.compile(r"(?i)^[^\w\n]*([a-z][\w &'/\-]{2,60}?)\s*(?::|\s[-\u2013\u2014])\s*"
                              r"\**\s*(yes|no|true|false)\b\W*$")


def _labelled_stance(reading: AnswerReading, question: str) -> Stance | None:
    terms = question_terms(question)
    for sentence in reading.sentences:
        if sentence.start >= reading.illustration_start:
            break
        found = _LABELLED_YES_NO.match(sentence.text)
        if found is not None and stem_set(found.group(1)) & terms:
            # (a YAML or key-value answer's "improving: true")
            said = found.group(2).lower()
            return Stance({"true": "yes", "false": "no"}.get(said, said), sentence, "said")
    return None
