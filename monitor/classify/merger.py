"""Merger cues: NHS organisations merging, combining, clustering, absorbed or acquired, with or without "merge".

Records, systems and agenda items also "merge"; wards that merge are a service change. The rules
ask for an NHS organisation in the sentence and cancel the cue when its object is data or a ward.
"""

from __future__ import annotations

from monitor.classify.lexicon import DATA_OBJECT, ORGANISATION, ORGANISATIONS_PLURAL, SERVICE_UNIT
from monitor.classify.rules import Rule

_NUM = r"(?:\d+|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|\w+teen|twenty|several|all|both)"
#: The object of a merge is data or a ward: "merging the Master Patient Index", "merged with Ward 29".
_OBJECT_NOT_ORG = (
    r"^\s*(?:of|with|into|onto|on\s+to|to|the|their|its|our|both|two|all)\s+(?:(?:the|a|an|its|their|our|two|both)\s+)?"
    rf"(?:[\w'’-]+\s+){{0,3}}?(?:{DATA_OBJECT}|{SERVICE_UNIT}|services\b)"
)
_OBJECT_BEFORE = (
    rf"\b(?:{DATA_OBJECT}|{SERVICE_UNIT}|service)\W*$|\b(?:records|data|systems|registrations|lists|accounts|databases|"
    r"files|teams|functions)\b(?:\s+\S+){0,5}\s+(?:were|was|are|is|will\s+be|have\s+been|has\s+been|being|to\s+be)\s*$"
)
#: "the proposed merger", "a merger": a specific merger even without an organisation named.
_SPECIFIC_MERGER = (
    r"\b(?:the|a|an|this|that|its|their|proposed|planned|potential|possible|formal|full|long-mooted|"
    r"controversial|approved|agreed)\s+(?:[\w-]+\s+)?mergers?\b"
)

MERGER_RULES: tuple[Rule, ...] = (
    Rule(
        name="merger",
        trigger=r"merg",
        cue=r"\bmerg(?:e|es|ed|ing|er|ers)\b",
        needs=rf"{ORGANISATION}|{_SPECIFIC_MERGER}",
        veto_after=_OBJECT_NOT_ORG,
        veto_before=_OBJECT_BEFORE,
        veto=r"\bduplicat\w*|\bMPI\b|\bpatient index\b|\bcharit(?:y|ies)\b|\bleague\s+of\s+friends\b",
        reach=60,
    ),
    Rule(
        name="amalgamation", trigger=r"amalgamat", cue=r"\bamalgamat\w+", needs=ORGANISATION, veto_after=_OBJECT_NOT_ORG
    ),
    Rule(
        name="combine",
        trigger=r"combin",
        cue=r"\bcombin(?:e|es|ing)\b(?!\s+(?:with|the|their|our|its|data|information|resources|expertise|efforts))",
        near=ORGANISATION,
        reach=160,
        veto_after=_OBJECT_NOT_ORG,
    ),
    Rule(
        name="combine",
        trigger=r"combin",
        cue=rf"\b(?:combined|combining)\s+(?:to\s+form|into\s+(?:a|one)|as\s+one)\b|\bcombination\s+of\s+"
        rf"(?:the\s+)?(?:{_NUM}\s+)?{ORGANISATIONS_PLURAL}|\bcombined\s+(?:organisation|trust|ICB|CCG|body)\b",
    ),
    Rule(
        name="come together as one",
        trigger=r"together",
        cue=r"\b(?:come|comes|coming|came|brought|bring|bringing|joined|join|joining)\s+together\s+"
        r"(?:as|to\s+form|to\s+create|into)\s+(?:one|a\s+single|a\s+new|a\s+combined)\b",
    ),
    Rule(
        name="under one organisation",
        trigger=r"under",
        cue=r"\bunder\s+(?:one|a\s+single|a\s+shared|a\s+joint|the\s+same)\s+(?:contract|organisation|management|"
        r"leadership|board|chief\s+executive|umbrella)\b",
        near=ORGANISATION,
        reach=120,
    ),
    Rule(
        name="become one",
        trigger="becom|became",
        cue=r"\b(?:become|becoming|became)\s+one\b(?!\s+of\b)",
        near=ORGANISATION,
        reach=100,
    ),
    Rule(
        name="merged organisation",
        trigger="merged|run|managed|taken",
        cue=r"\bmerged\s+(?:practice|trust|organisation|ICB|CCG|body|board|integrated\s+care\s+board)\b|"
        r"\b(?:run|managed|taken\s+over)\s+by\s+(?:its|a|the)\s+(?:larger\s+|bigger\s+|neighbouring\s+)?"
        r"(?:neighbour|(?:foundation\s+)?trust|practice|ICB)\b",
        veto=r"\bcharit(?:y|ies)\b",
    ),
    Rule(
        name="join forces",
        trigger=r"join",
        cue=r"\bjoin(?:s|ed|ing)?\s+forces\b",
        near=ORGANISATIONS_PLURAL,
        reach=120,
        veto=r"\b(?:campaign\w*|protesters|residents|unions?|charities|councils|patients)\b",
    ),
    Rule(
        name="become one organisation",
        trigger=r"becom|became|form|creat",
        cue=r"\b(?:become|becomes|becoming|became|form|forms|forming|formed|create|creates|creating|created)\s+"
        r"(?:a\s+)?(?:single|one|new\s+single)\s+(?:[\w-]+\s+)?(?:organisation|organization|trust|ICB|CCG|body|entity|"
        r"clinical\s+commissioning\s+group|integrated\s+care\s+board|practice|partnership)\b",
    ),
    Rule(
        name="bring together",
        trigger=r"together",
        cue=rf"\b(?:bring|brings|bringing|brought)\s+together\s+(?:the\s+)?{_NUM}\s+(?:\w+\s+)?{ORGANISATIONS_PLURAL}",
    ),
    Rule(
        name="replace CCGs",
        trigger=r"replac",
        cue=r"\breplac(?:e|es|ed|ing)\s+(?:the\s+)?(?:\w+\s+){0,3}?(?:CCGs|clinical commissioning groups|"
        r"ICBs|integrated care boards|trusts)\b",
    ),
    Rule(name="single strategic commissioner", trigger=r"single", cue=r"\bsingle\s+strategic\s+commissioners?\b"),
    Rule(
        name="single organisation",
        trigger=r"single|combined|merged|unified|larger|joint",
        cue=r"\b(?:form|forming|formed|create|creating|created|become|"
        r"becoming|establish\w*|into)\s+(?:a\s+|one\s+)?(?:new\s+)?(?:single|combined|merged|unified|larger|joint)\s+"
        r"(?:\w+\s+)?(?:organisation|body|ICB|CCG|trust|commissioner|entity|statutory body|integrated care board)\b",
    ),
    Rule(
        name="consolidation",
        trigger=r"consolidat",
        cue=rf"\bconsolidat(?:e|es|ed|ing|ion)\s+(?:of\s+)?(?:the\s+)?(?:{_NUM}\s+)?(?:\w+\s+)?{ORGANISATIONS_PLURAL}",
    ),
    Rule(
        name="acquisition",
        trigger=r"acqui",
        cue=r"\bacqui(?:sition|sitions|re|res|red|ring)\b",
        near=ORGANISATION,
        reach=70,
        veto_before=r"(?:hospital|community|healthcare|care|health)[- ]?$",
        veto_after=r"^\s+(?:of\s+)?(?:a\s+|the\s+|new\s+)*(?:\w+\s+)?(?:brain|infections?|immun\w*|pneumonia|"
        r"data|equipment|scanners?|land|sites?|buildings?|property|software|licen[cs]es?|skills|assets|kit)\b",
    ),
    Rule(
        name="takeover",
        trigger=r"take|taken|taking|took",
        cue=r"\btake-?overs?\b|\b(?:taken|taking|took|take)\s+over\s+by\b",
        near=ORGANISATION,
        veto=r"\btake over (?:the )?(?:running|management|contract|chair|role)\b",
    ),
    Rule(
        name="group model",
        trigger=r"group",
        cue=r"\bgroup\s+model\b|\b(?:a|the|new|single|one)\s+(?:new\s+)?(?:hospital|provider|acute|trust)\s+group\b|"
        r"\bgroup\s+(?:structure|arrangements?)\b|"
        r"\b(?:form|forms|formed|forming|create|created|creating)\s+a\s+(?:new\s+)?(?:hospital\s+|NHS\s+)?group\b|"
        r"\b(?:part|member)\s+of\s+(?:a|the)\s+(?:new\s+|wider\s+|larger\s+)?(?:hospital\s+|NHS\s+|trust\s+)?group\b",
        near=ORGANISATION,
        reach=160,
        veto=r"\b(?:campaign|action|support|working|protest|pressure|save|friends|focus|patient|steering|peer|"
        r"reference|user|advisory|task|age|risk|blood|control|study|ethnic)\s+groups?\b",
    ),
    Rule(
        name="clustering",
        trigger=r"cluster",
        cue=r"\bcluster(?:s|ed|ing)?\b",
        needs=r"\b(?:ICBs?|integrated care boards?|CCGs?|trusts|commissioners|clinical commissioning groups)\b",
        veto=r"\b(?:infections?|outbreaks?|cases|analysis|symptoms|suicides?|incidents?)\b",
        reach=60,
    ),
    Rule(
        name="absorbed",
        trigger=r"absor|subsum",
        cue=r"\b(?:absorb|subsum)(?:ed|e|es|s|ing)?\s+(?:in)?to\b|\b(?:absorbed|subsumed)\s+by\b|\babsorption\s+of\b",
        near=ORGANISATION,
        reach=100,
    ),
    Rule(
        name="shared chief executive",
        trigger=r"shared|joint|single",
        cue=r"\b(?:shared|joint|single)\s+(?:chief\s+executive|chair|leadership\s+team)\b",
        needs=r"\b(?:trusts|CCGs|ICBs|organisations|both|two)\b",
    ),
    Rule(
        name="abolished",
        trigger=r"abolish|abolition|dissol",
        cue=r"\b(?:abolish(?:ed|ing)?|abolition\s+of|dissolv(?:e|ed|ing)|dissolution\s+of)\b",
        near=r"\b(?:CCGs?|clinical commissioning groups?|ICBs?|trusts?)\b",
        reach=60,
    ),
)
