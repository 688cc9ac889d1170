"""Refusal language: does a text decline, or say the information is not available?

:func:`refusal_phrases` finds the kinds of language an answer uses when it declines ("I'm
sorry, I can't"), says it has no access to the data, or says the context or documents do not
contain what is needed. Language is not a verdict: an answer that says a detail is missing
*and then answers anyway* is not a refusal. :func:`agility.metrics._refusal.declines` weighs
the language against what the answer commits to.
"""

from __future__ import annotations

import re

from agility.metrics._agent_log import is_run_output

__all__ = ["WITHHOLDS", "gives_no_answer", "infers_anyway", "is_refusal", "no_answer",
           "refusal_phrases"]

_SOURCE = (r"(?:context|document|documents|text|excerpt|excerpts|passage|passages|filing|"
           r"filings|statement|statements|report|evidence|information|data|sources?|"
           r"extract|snippet|table|pages?|materials?)")

# a figure withheld or taken back: "so I can't give a figure for FY2018 capital
# expenditure", "I'd rather not provide a figure", "I won't state an amount"
WITHHOLDS = re.compile(
    r"(?i)\b(?:can(?:'t|not)|won't|will not|(?:would|'d) rather not|unable to|not able to|"
    r"shouldn't|should not)\s+(?:actually\s+|really\s+|responsibly\s+)?(?:give|provide|state|"
    r"offer|report|quote|put|commit to|publish)\s+(?:you\s+)?(?:a|an|the|this|that|any|a\s+specific)?\s*"
    # (a view on the stock is investment advice, not the answer: "I won't give a view")
    r"(?:[\w\-]+\s+){0,4}?(?:figure|number|amount|value|estimate|verdict|call|"
    r"conclusion|rate|ratio)s?\b|"
    # "... and I won't estimate it", "not computable from the extract"
    r"\b(?:won't|will not|(?:would|'d) rather not)\s+(?:estimate|guess|speculate)\b|"
    r"\bnot (?:computable|calculable|determinable)\b|"
    # shorthand: "No number from me on this one.", "No call.", "No estimate given."
    # "I'll hold off on a verdict"
    r"\bhold(?:ing)? off on (?:a|the|any|my) (?:verdict|answer|figure|call|estimate|number)\b|"
    r"\bno (?:[\w\-]+ )?(?:number|figure|estimate|call|answer|view|pick)s? (?:from me|given|"
    r"offered|provided|reported|stated)\b|(?:^|\n|[.;:] )[ \t*_-]*no (?:call|estimate|number|figure)[ \t]*[.!]?[ \t]*(?:$|\n)")

_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("withholds", WITHHOLDS),
    # (not for a mistake it corrects: "I apologize for the confusion. ... were $5,209 million")
    ("apology", re.compile(r"(?i)(?:\b(?:i'?m|i am) (?:sorry|afraid)\b|\bi apologi[sz]e\b)(?! for "
                           r"(?:the|my|any|that) (?:confusion|error|mistake|oversight|"
                           r"misunderstanding|mix-?up|earlier answer)\b)")),
    ("no access", re.compile(
        r"(?i)\b(?:i|as an ai[^,.]*,? i) (?:do not|don't|cannot|can't|am unable to|"
        r"am not able to) (?:have )?(?:real-time |direct |the ability to )?"
        r"(?:access|browse|retrieve|pull|fetch|look up|provide real-time|real-time|"
        r"the (?:specific |necessary |required |relevant |latest |actual |full )?"
        # ("I do not have the specific financial results for FY2022")
        r"(?:(?:financial |annual |quarterly )?(?:information|data|details|results|figures|"
        r"numbers|statements))|"
        # ("I don't have the FY2022 balance sheet in front of me")
        r"the (?:fy ?\d{2,4} |\d{4} )?(?:balance sheet|income statement|cash flow statement|"
        r"filing|10-k|annual report))")),
    ("as an ai", re.compile(r"(?i)\bas an ai\b|\bas of (?:my|the) last (?:update|training|"
                            r"knowledge|available (?:information|data))\b|"
                            r"\bai (?:language )?model\b|\bmy knowledge cutoff\b|"
                            # "I'm a language model and don't have the capacity to help",
                            # "as I'm only a language model"
                            r"\b(?:i'm|i am) (?:only |just |simply )?(?:a|an) (?:large |"
                            r"text-based )?language model\b|"
                            r"\bmy training data\b|\bknowledge cut-?off\b")),
    ("cannot answer", re.compile(
        r"(?i)(?:\b(?:i|we|it|the model|this model|the assistant) (?:(?:therefore|thus|hence|"
        r"so|also|still|simply|really|honestly|just|\w+ly) )?(?:cannot|can ?not|can't|couldn't|could not|am unable to|are "
        r"unable to|was unable to|am not able to|(?:was|were) not able to|is (?:not possible|impossible) to|was not "
        r"possible to)|\b(?:i'm|i\u2019m) (?:unable|not able) to|(?:^|\n|:|[.;,] )[ \t*_\-\u2022]*(?:unable to|cannot|can not|can't|"
        r"couldn't|could not)) (?:\w+ ){0,3}?"
        r"(?:determine|provide|calculate|compute|answer|confirm|say|find|locate|see|identify|describe|"
        r"ascertain|assess|state|give|tell|verify|conclude|infer|derive|specify|complete|"
        r"perform|comment|offer|obtain|extract|compare|make|draw|rank|pick|choose|quantify|"
        r"estimate|pin down|call|finish|come down on|label|classify|characteri[sz]e|judge|deem|rate|"
        r"list|name|summari[sz]e|put (?:meaningful |any )?odds)|"
        # "I don't think I can give a firm yes or no", "it's difficult to say definitively"
        r"(?:\bnot|n't) think (?:i|we) can (?:\w+ly )?(?:give|say|answer|determine|provide|offer|"
        r"tell|confirm)\b|"
        # "I don't feel able to say whether ...", "I'll refrain from giving an answer"
        r"\b(?:do not|don't) feel (?:able|in a position) to\b|\brefrain from (?:giving|"
        r"providing|offering|stating|answering|making)\b|\b(?:difficult|hard|impossible) to say (?:definitively|for "
        r"(?:certain|sure)|with (?:any )?certainty)\b(?! that\b)")),
    ("asks back", re.compile(
        # a question back in place of the answer: "Let me know which definitions you want and
        # I'll run the numbers", "please confirm the period before I calculate"
        r"(?i)\b(?:let me know|please (?:confirm|clarify|specify|tell me|let me know))\b[^.?!]{0,100}?"
        r"\b(?:and|before|so that|so) (?:i(?:'ll| will| can)?|we(?:'ll| will| can)?) "
        r"(?:\w+ ){0,2}?(?:run|calculate|compute|answer|give|provide|work|do|pull|check)\b")),
    ("leaves it to you", re.compile(
        # a tutor's last step left to the reader: "Go ahead and run that division ... What
        # do you get?", "Give it a try!"
        r"(?i)\bgo ahead and (?:run|do|work out|compute|calculate|try)\b|\bgive it a try\b|"
        r"\bwhat do you get\?|\btry it yourself\b|\bi(?:'ll| will) leave (?:the|that|this) "
        r"(?:last |final )?(?:step|calculation|division|math|arithmetic) to you\b")),
    ("not possible", re.compile(
        r"(?i)(?:\b(?:not|impossible|isn't|is not) (?:possible|feasible|able)(?: for (?:me|us|one))?"
        r"|\bno way|\b(?:does|do|did) not (?:allow|enable|permit) (?:me|us|one)) to "
        r"(?:\w+ ){0,2}?(?:determine|provide|calculate|compute|answer|confirm|say|identify|"
        r"ascertain|assess|conclude|infer|derive|tell|know)|"
        # "The information provided does not let me determine whether ..."
        r"\b(?:does|do|did)(?: not|n't) let (?:me|us|one) "
        r"(?:\w+ ){0,2}?(?:determine|provide|calculate|compute|answer|confirm|say|identify|"
        r"ascertain|assess|conclude|infer|derive|tell|know)|\bcannot be (?:\w+ly )?(?:read|determined|calculated|"
        r"computed|answered|confirmed|derived|ascertained|identified|found|assessed|"
        r"inferred|provided)|"
        # "a like-for-like comparison isn't possible from the information given"
        r"\b(?:comparison|calculation|determination|assessment|answer|analysis|conclusion)\b"
        r"[^.]{0,40}?\b(?:is|are|was|were) not (?:possible|feasible)\b(?! to\b)")),
    ("source lacks", re.compile(
        rf"(?i)\b(?:the |this |provided |given |available |above ){{0,3}}{_SOURCE}\b[^.,;]{{0,60}}?"
        r"\b(?:does|do|did|is|are|was|were)(?: not|n't| no longer)\b[^.]{0,40}?"
        r"\b(?:contain|include|provide|mention|specify|offer|disclose|detail|give|have|"
        r"state|show|list|present|indicate|reference|break|explicitly|specifically|directly|explain|"
        r"quantify|"
        r"sufficient|enough|available|clear|cover|discuss|address)|"
        rf"\b(?:none of (?:the|these|those)|neither(?: of (?:the|these|those))?) (?:\w+ )?{_SOURCE}\b|"
        # "The filing lacks the figures", "It is not clear from the context", "not in the
        # excerpts", "not covered by the passages", "says nothing about", "outside what the
        # excerpt covers"
        rf"\b{_SOURCE}\b[^.,;]{{0,60}}?\blacks? (?:the |any |a |sufficient |enough |specific |"
        r"detailed |necessary |required |relevant ){0,2}(?:\w+ )?(?:information|data|figures?|"
        r"details?|breakdown|numbers?|disclosure)\b|\b(?:i|we) lack\b|"
        r"\b(?:not clear|unclear|not evident|not apparent) (?:from|in|based on) "
        rf"(?:the |this |these |those |provided |given |available |above ){{0,3}}(?:\w+ )?{_SOURCE}\b|"
        r"\b(?:is|are|was|were) not (?:covered |contained |found |present )?(?:in|within|by|part of|"
        # "capex isn't among the figures in the excerpt"
        r"among (?:the )?(?:[\w-]+ ){0,3}?(?:in|within|of)) "
        rf"(?:the |this |these |those |provided |given |available |above ){{1,3}}(?:\w+ )?{_SOURCE}\b|"
        r"\b(?:says?|said|mentions?|contains?|has|have|gives?|offers?|provides?|includes?|shows?) "
        r"nothing (?:about|on|regarding|concerning)\b|"
        rf"\b(?:outside|beyond) what (?:the |this |these |those )?(?:\w+ )?{_SOURCE}\b|"
        # "The filing excerpts are silent on capex", "The figure does not appear in the
        # provided material"
        rf"\b{_SOURCE}\b[^.,;]{{0,60}}?\b(?:is|are|was|were|remains?) (?:\w+ )?silent\b|"
        r"\b(?:does|do|did)(?: not|n't) (?:appear|show up|exist|feature)\b(?! to\b| as\b| that\b)[^.]{0,20}?\bin "
        rf"(?:the |this |these |those |any |provided |given |available ){{0,3}}(?:\w+ )?{_SOURCE}\b|"
        # "The document appears to be truncated before the cash flow statement"
        rf"\b{_SOURCE}\b[^.,;]{{0,40}}?\b(?:is|are|was|were|appears? to be|seems? to be|gets?) "
        r"(?:\w+ )?(?:truncated|cut off|incomplete)\b|"
        # "the excerpt you provided only includes the income statement"
        rf"\b{_SOURCE} (?:you (?:provided|gave|shared) |provided |given )?only (?:includes?|"
        r"contains?|covers?|shows?|has|have|gives?)\b(?![^.]*\b(?:which|that) (?:shows?|gives?|"
        r"reports?|lists?|states?)\b|[^.]*,\s*but\b)|"
        # "FY2018 figures are outside its scope", "beyond the scope of the excerpt"
        r"\b(?:outside|beyond) (?:the |its |their |this |that )?scope\b|"
        # "not identifiable from the excerpt provided"
        r"\bnot (?:identifiable|determinable|ascertainable|readable|recoverable|derivable) "
        rf"(?:from|in|with) (?:the |this |these |those |provided |given |available |supplied ){{0,3}}"
        rf"(?:\w+ )?{_SOURCE}\b|"
        # a note in shorthand: "(not in excerpt)", "(not in the 10-K extract)"
        r"\(\s*not (?:in|within|part of|covered by|given in|shown in) (?:the |this |these |those "
        rf"|provided |given |available |above ){{0,3}}(?:\S+ )?{_SOURCE}\s*\)")),
    ("not stated", re.compile(
        r"(?i)\b(?:does|do|did)(?: not|n't) (?:explicitly |specifically |directly |clearly )?"
        r"(?:state|disclose|mention|specify|report|break out|give|provide|include|contain|"
        r"list|show|say|tell|discuss|address|go into|identify|name|spell out|quantify)\b|"
        # (what cash covers is a payment: "free cash flow did not cover the dividend")
        r"\b(?:does|do|did)(?: not|n't) (?:explicitly |specifically |directly |clearly |fully )?"
        r"cover\b(?! (?:the |its |their )?"
        r"(?:dividends?|interest|debt|capex|capital|payments?|obligations?|costs?|expenses?|"
        r"liabilities|deficits?|shortfalls?|payouts?|buybacks?|repurchases?)\b)")),
    ("missing", re.compile(
        r"(?i)\b(?:is|are|was|were|remains?) (?:still )?(?:missing|unavailable|absent|lacking)\b|"
        r"\bwithout (?:the|this|these|those) (?:\w+ ){0,3}?(?:figures?|data|information|"
        r"details|numbers)\b")),
    ("no information", re.compile(
        r"(?i)(?:\b(?:there is|there are|there's|contains|with|provides|has|have|i have|gives|"
        r"offers|includes|shows|reports|lists|discloses) "
        r"(?:no|not any|not enough|insufficient|limited)|\b(?:i|we) do not have|"
        r"\b(?:i|we) don't have|\bwithout|(?:^|[.!?\n]\s*)no) ?(?:specific |explicit |direct |detailed |sufficient |enough |"
        r"relevant |such |further |additional |the necessary |the required |any |the |"
        r"exact |actual |necessary |required |available |publicly available |public ){0,3}"
        r"(?:information|info|data|details?|context|mention|figures?|breakdown|disclosure|"
        r"indication|evidence|numbers)\b"
        r"[^.]{0,40}?\b(?:provided|available|given|mentioned|included|disclosed|about|on|"
        r"regarding|to|in|for|of)|"
        # a sentence that opens "No" and names what is missing: "No capital expenditure
        # figure is reported in the excerpt."
        r"(?:^|[.!?\n]\s*)no (?:[\w&-]+ ){0,4}?(?:figures?|amounts?|data|information|numbers?|"
        r"values?|details|breakdown) (?:is|are|was|were) (?:\w+ )?(?:reported|given|provided|"
        r"mentioned|disclosed|stated|listed|shown|available|included|present)\b|"
        # what the writer does not have: "I don't have reliable figures for FY2022", "I don't
        # have detailed knowledge of", "It is not something I have data on"
        r"\b(?:i|we) (?:do not|did not) have (?:[\w'-]+ ){0,3}?(?:information|info|data|details?|"
        r"knowledge|figures?|numbers?)\b|\bnot something (?:i|we) (?:have|can)\b|"
        # "not something the excerpt breaks out"
        rf"\bnot something (?:the |this |these |those |provided |given ){{0,2}}(?:\w+ )?{_SOURCE}\b")),
    ("not provided", re.compile(
        r"(?i)\b(?:(?:is|are|was|were)(?: not|n't)|(?:has|have|had)(?: not|n't) been) (?:explicitly |specifically |directly |clearly |"
        r"fully |entirely |completely |readily )?"
        r"(?:provided|mentioned|available|given|included|disclosed|specified|stated|"
        r"listed(?! on (?:an?|any|the) (?:[\w-]+ )?(?:exchange|market)\b)|reported|detailed|"
        r"shown|present|broken (?:out|down)|itemi[sz]ed|quantified|"
        r"discussed|covered|addressed)\b"
        # (what a thing is not named as is a claim: "Client is not mentioned as a driver")
        r"(?! as (?:an?|the|one)\b)|"
        # "You haven't provided the quick ratio", "you did not include the cash flow statement"
        r"\byou (?:have|had|did)(?: not|n't) (?:yet )?(?:provided|provide|given|give|supplied|"
        r"supply|shared|share|included|include|attached|attach)\b")),
    ("would need", re.compile(
        r"(?i)\b(?:you|one) (?:would|will|may|might) (?:need|have) to (?:refer|consult|look|"
        r"review|check|access|obtain)|\bplease (?:refer|consult|check)\b|"
        r"\b(?:i|we)(?:'d| would)? (?:need|require) (?:more|additional|the|access)|"
        # the writer's own conditional ("I would need to see the cash flow statement"), not the
        # working's plan ("we need to look at the cash flow statement")
        r"\bi(?:'d| would) (?:need|require) to (?:see|have|review|know)\b|"
        # what the writer would need, or asks the reader for: "I would need total current
        # assets", "If you can provide the balance sheet", "Could you share the statements?",
        # "you'll need: 1. Accounts payable ..."
        r"\bi(?:'d| would) need (?!to\b)|\b(?:if|once|when) you (?:can |could )?(?:provide|"
        r"share|send|upload|supply|paste|attach)\b|\bcould you (?:please )?(?:provide|share|"
        r"send|upload|supply|paste|attach)\b|\byou(?:'ll| will) need(?! to\b)")),
    ("declines", re.compile(
        r"(?i)\b(?:i|we) (?:cannot|can ?not|can't|won't|will not|am unable to|are unable to)"
        r" (?:\w+ ){0,2}?(?:help|assist)\b|\b(?:i|we) must (?:respectfully )?decline\b|"
        # "I'm not able to help with that", "I do not have the capacity to help with that"
        r"\b(?:i'm|i am) (?:not able|unable) to (?:\w+ ){0,2}?(?:help|assist)\b|"
        r"\b(?:i|we) do not have the (?:capacity|ability|means) to (?:help|assist)\b")),
    # the writer looked and did not find it: "I do not see any mention of capex", "I did not
    # find the figure", "The excerpts make no mention of capex", "Nowhere in the filing ..."
    ("not found", re.compile(
        r"(?i)\b(?:i|we) (?:do not|don't|did not|didn't) (?:\w+ )?"
        r"(?:see|find|locate|spot)\b|\b(?:i|we) (?:see|found|find) no\b|"
        # "Sorry, I can only see Adobe's balance sheet here"
        r"\b(?:i|we) (?:can )?only (?:see|find|have access to)\b|"
        r"\b(?:makes?|made|making) no (?:\w+ )?(?:mention|reference)\b|"
        rf"\bnowhere in (?:the |this |these |those |any |provided |given ){{0,3}}(?:\w+ )?{_SOURCE}\b")),
    ("does not know", re.compile(r"(?i)\bi (?:don't|do not) know\b|\bi'm not sure\b|"
                                 r"\bi am not (?:sure|aware)\b|\bi'm not aware\b|"
                                 r"\b(?:would|'d) rather not (?:guess|speculate|estimate)\b|"
                                 r"\b(?:i'm|i am) not going to (?:guess|speculate|estimate)\b|"
                                 r"\bmy (?:information|knowledge|data|training) (?:does|do) not "
                                 r"(?:extend|go|reach|cover|include)\b")),
    # an elliptic answer that says only that the figure is not there: "N/A", "Unknown.",
    # "Not disclosed in the provided materials.", "Data not provided."; or a label's whole
    # value: "Final answer: N/A", "Capex: unknown" (not "Note: unknown factors aside, ...")
    ("not available", re.compile(
        r"(?i)(?:(?:^|\n)\W*(?:n/a|n\.a\.|unknown|(?:(?:the )?(?:data|information|figure|amount|"
        r"answer) (?:is )?)?not (?:available|provided|disclosed|stated|specified|given|reported|"
        r"found|determinable|known))\b(?![ \t]+(?:and|but|by|for|to|as|because|since)\b)|"
        # a short line that only says what is not there: "FY2018 balance sheet not provided"
        r"(?:^|\n)[^\n.:;]{0,60}\bnot (?:provided|available|disclosed|given|included)[ \t.]*(?:$|\n)|"
        r":[ \t*_]*(?:withdrawn|retracted|n/a|#n/a|#ref!|#value!|#div/0!|n\.a\.|unknown|null|not (?:available|provided|"
        r"disclosed|stated|specified|"
        r"given|reported|found|determinable|known))[ \t*_]*"
        # (a note after it: "Capex FY18: n/a (not in excerpt).")
        r"(?:\([^()\n]{0,60}\)[ \t*_]*)?(?:[.;](?:[ \t]|$)|$|\n))")),
    ("insufficient", re.compile(r"(?i)\binsufficient (?:information|info|data|context|details?)\b|"
                                r"\bnot enough (?:information|info|data|context|details?)\b|"
                                r"\b(?:information|data|context|details)(?: provided| given| "
                                r"available)? (?:is|are|was|were) (?:insufficient|not sufficient|"
                                r"inadequate)\b")),
]


# Matching lower-cased text without re.IGNORECASE is markedly faster; the patterns are
# written for lower case anyway.
_PATTERNS = [(name, re.compile(p.pattern.replace("(?i)", ""))) for name, p in _PATTERNS]
# Words without which a pattern cannot match: a pattern runs only when one of its words is in
# the text (most sentences of most answers skip every pattern).
_TRIGGERS: dict[str, tuple[str, ...]] = {
    "apology": ("sorry", "afraid", "apologi"),
    "no access": ("i do not", "i don't", "i cannot", "i can't", "i am unable", "i am not able",
                  "as an ai"),
    "as an ai": ("as an ai", "as of my", "as of the last", "ai model", "ai language",
                 "knowledge cut", "training data", "language model"),
    "cannot answer": ("cannot", "can not", "can't", "couldn't", "could not", "unable",
                      "not able", "possible", "think", "to say", "feel", "refrain"),
    "not possible": ("possible", "feasible", "able to", "cannot be", "no way", "allow", "enable",
                     "permit", "let "),
    "not found": ("see", "find", "found", "locate", "spot", "no mention", "no reference",
                  "nowhere"),
    "source lacks": ("not", "n't", "no longer", "none of", "silent", "scope", "neither", "lack", "only ",
                     "unclear", "nothing", "outside", "beyond", "truncated", "cut off",
                     "incomplete"),
    "not stated": ("not", "n't"),
    "missing": ("missing", "unavailable", "absent", "lacking", "without"),
    "no information": ("no ", "not any", "not enough", "insufficient", "limited", "do not have",
                       "don't have", "did not have", "not something", "without"),
    "not provided": ("not", "n't"),
    "would need": ("would", "will", "may", "might", "please", "need", "require", "'ll",
                   "you can", "you could", "could you"),
    "declines": ("help", "assist", "decline"),
    "asks back": ("let me know", "please"),
    "leaves it to you": ("go ahead", "give it a try", "what do you get", "yourself", "leave "),
    "withholds": ("cannot", "will not", "rather not", "unable to", "not able to", "should not", "no ",
                  "hold",
                  "not computable", "not calculable", "not determinable"),
    "does not know": ("know", "not sure", "not aware", "rather not", "not going to", "my "),
    "insufficient": ("insufficient", "not enough", "not sufficient", "inadequate"),
    "not available": ("n/a", "n.a.", "unknown", "not ", "null", "withdrawn", "retracted"),
}


_CONTRACTIONS = re.compile(r"\b(it|that|this)'s\b")
# "isn't", "doesn't", "couldn't": read as "is not", "does not", "could not" ("can't",
# "won't" and "don't" too, though most patterns also name those as written)
_NOT = re.compile(r"\b(ca|wo|sha|[a-z]+)n't\b")
_NOT_FULL = {"ca": "cannot", "wo": "will not", "sha": "shall not"}
_BARE_NOT = re.compile(r"\b(ca|do|does|did|is|are|was|were|could|would|should|has|have)nt\b")
_BARE_NOT_WORDS = ("cant", "dont", "doesnt", "didnt", "isnt", "arent", "wasnt", "werent",
                   "couldnt", "wouldnt", "shouldnt", "hasnt", "havent")
_SET_ASIDE = re.compile(r",\s*(?:so|and so|therefore|thus|hence)\s+(?:we|i)(?: will| can| shall|'ll)? "
                        r"(?:exclude|omit|ignore|leave|treat|assume|proceed|use|set|take)\b")
_SENTENCE_END = re.compile(r"[.!?\n]")
_QUESTION_OPEN = re.compile(r"\b(?:the|your|this) (?:question|prompt|request)(?: itself)? (?:does|did)"
                            r"(?: not|n't) (?:explicitly |clearly )?(?:specify|state|say|mention|"
                            r"indicate|ask)\b|\byou (?:did|do)(?: not|n't) (?:specify|say|mention)\b")


_NOTHING_BEYOND = re.compile(
    r"\b(?:does|do|did) not (?:mention|list|name|disclose|identify|include|show|describe|"
    r"provide details (?:on|of|about)|refer to) (?:any )?(?:other|further|additional)\b[^.;\n]*|"
    r"\bno (?:other|further|additional) [a-z ]{1,40}? (?:is|are|was|were) (?:mentioned|listed|"
    r"named|disclosed|identified)\b[^.;\n]*")


def _without_set_asides(lowered: str) -> str:
    """``lowered`` without its statements that set a missing input aside and go on."""
    if "," not in lowered:
        return lowered
    for found in reversed(list(_SET_ASIDE.finditer(lowered))):
        start = max(lowered.rfind(c, 0, found.start()) for c in ".!?\n") + 1
        end = _SENTENCE_END.search(lowered, found.end())
        lowered = lowered[:start] + " " + (lowered[end.start():] if end else "")
    return lowered


def refusal_phrases(text: str) -> list[str]:
    """The kinds of refusal language found in ``text`` ("apology", "source lacks", ...)."""
    # a contraction says what its full form says ("it's impossible to calculate")
    lowered = text.lower().replace("\u2019", "'")
    if "'s" in lowered:
        lowered = _CONTRACTIONS.sub(lambda m: m.group(1) + " is", lowered)
    if any(word in lowered for word in _BARE_NOT_WORDS):
        # (as a small model writes them: "i cant answer", "i dont see")
        lowered = _BARE_NOT.sub(r"\1n't", lowered)
    if "n't" in lowered:
        lowered = _NOT.sub(lambda m: _NOT_FULL.get(m.group(1), m.group(1) + " not"), lowered)
    # what the question leaves open ("the question does not specify the period") is no
    # missing information
    if "question" in lowered or "prompt" in lowered or "request" in lowered or "you " in lowered:
        lowered = _QUESTION_OPEN.sub(" ", lowered)
    # that the source names nothing beyond what the answer gave ("The context does not
    # mention other significant acquisitions") completes an answer, it does not decline one
    if "other" in lowered or "further" in lowered or "additional" in lowered:
        lowered = _NOTHING_BEYOND.sub(" ", lowered)
    # an input the working sets aside and goes on without ("the balance sheet does not mention
    # any marketable securities, so we will exclude them from the calculation") is working
    lowered = _without_set_asides(lowered)
    return [name for name, pattern in _PATTERNS
            if any(word in lowered for word in _TRIGGERS[name]) and pattern.search(lowered)]


# "The drivers are not explicitly stated. However, we can infer some possible reasons ...":
# the answer says a detail is missing, then announces that it answers anyway by inference.
_INFERS_ANYWAY = re.compile(
    r"(?i)(?:^|[.!?;][\"\u201d]?\s+|,[\"\u201d]?\s*)(?:however|but|nevertheless|nonetheless|"
    r"that said|still),?\s+"
    r"(?:(?:based on [^,.]{0,80},\s*)?(?:we|i|one) can (?:still |reasonably )?(?:infer|deduce|"
    r"estimate|derive)\b|[^.;]{0,80}?\b(?:that|which) can (?:still |reasonably )?be used to "
    r"(?:infer|deduce|estimate|derive)\b|(?:it|they|this|these) can (?:still |reasonably |easily )?be "
    r"(?:inferred|deduced|estimated|derived|computed|calculated|worked out)\b)")


def infers_anyway(text: str) -> bool:
    """Whether ``text``, after its refusal language, announces that it answers anyway by
    inference ("However, we can infer ..."): what follows is its answer, not a refusal."""
    return bool(_INFERS_ANYWAY.search(text))


def is_refusal(text: str | None) -> bool:
    """Whether ``text`` is empty or contains refusal language.

    This is the plain language test; :func:`agility.metrics._refusal.declines` also asks
    whether the answer commits to an answer anyway.
    """
    if text is None or not text.strip():
        return True
    return bool(refusal_phrases(text))


# an answer's slot left empty ("Answer:", "### Response:" on a line alone), or a template's
# placeholder ("[insert answer here]", "<answer>")
_EMPTY_SLOT = re.compile(r"(?im)^[ \t#*>_]*(?:final answer|answer|response|output|a)[ \t*_]*:?"
                         r"[ \t*_]*$")
_PLACEHOLDER = re.compile(r"(?i)\[(?:insert|your|enter|put)\b[^\]\n]{0,40}\]|<answer>|"
                          r"\{\{?answer\}\}?")
_QUESTION_LINE = re.compile(r"(?im)^[ \t#*]*(?:question|q)[ \t*]*[:.][^\n?]*\?")
_WORD = re.compile(r"[a-z0-9]+")


def gives_no_answer(text: str, question: str | None = None) -> bool:
    """Whether ``text`` says nothing at all: empty answer slots ("Answer:", "### Response:",
    "[insert answer here]"), the question echoed, or one short phrase looped ("The answer is
    The answer is ..."). A small model's degenerate output commits to nothing."""
    rest = _QUESTION_LINE.sub(" ", _EMPTY_SLOT.sub(" ", _PLACEHOLDER.sub("", text)))
    asked = _WORD.findall((question or "").lower())
    lines = []
    for line in rest.splitlines():
        words = _WORD.findall(line.lower())
        # (the question echoed: most of its words, in its order; an answer that restates
        # the proposition, "X's margin is higher in FY2023", is no echo)
        if words and not (asked and len(words) >= 0.8 * len(asked)
                          and f" {' '.join(words)} " in f" {' '.join(asked)} "):
            lines.append(words)
    words = [w for line in lines for w in line]
    if not words:
        return True
    # (a pipeline's word for none: LlamaIndex's "Empty Response")
    if " ".join(words) in _NO_RESPONSE:
        return True
    # (a phrase of no content looped: "The answer is The answer is ...")
    return set(words) <= _EMPTY_WORDS and len(words) >= 3


_EMPTY_WORDS = frozenset("the answer is a an final response output here it would be".split())
_NO_RESPONSE = frozenset(["empty response", "final response empty response", "no response",
                          "response empty response"])


def no_answer(given: str, text: str, question: str | None = None) -> str | None:
    """Why an answer holds none, or None when it holds one: ``given`` is the answer as given,
    ``text`` the same read without its markup (:func:`agility.metrics._markup.unmark`)."""
    if not text:
        if not given.strip():
            return "empty answer"
        if is_run_output(given):
            return ("a run that gives no answer: an agent's log without a final answer or "
                    "submission, an empty answer field, or a run that ended in an error")
        return "no answer outside its markup (a reasoning block cut off before its end, say)"
    if gives_no_answer(text, question):
        return ("says nothing: an empty answer slot, a placeholder, a pipeline's \"Empty "
                "Response\", the question echoed or a phrase looped")
    return None
