"""Unconsulted cues: a change made without public consultation or notice.

These cues only qualify a merger or service change found nearby (the classifier drops them
otherwise): "without consultation", "not required to consult", "engagement" in place of
consultation, decisions taken in private or before the public was told, partners not told.
A promise ("no ward will close without consultation") is not one.
"""

from __future__ import annotations

from monitor.classify.rules import Rule

#: "will not ... without consultation" is a promise, not a complaint.
_PROMISE = r"\b(?:no|not|never|nothing|won't|cannot|can't|wouldn't|shouldn't|mustn't|unless)\b(?:\s+\S+){0,8}\s*$"
#: Told, informed, consulted... (after "not", "never", "failed to" or "without").
_TOLD = (
    r"(?:been\s+|being\s+|be\s+|having\s+)?(?:properly\s+|formally\s+|publicly\s+|even\s+|first\s+|adequately\s+)?"
    r"(?:told|tell|telling|informed|inform|informing|notified|notify|notifying|warned|warn|warning|briefed|brief|"
    r"briefing|consulted|consult|consulting|involved|involving|asked|asking|engaged|engage|engaging|discussed|shared)\b"
)
_ADJ = r"(?:any|a|prior|proper|full|formal|public|meaningful|adequate|further|local|real|genuine|statutory|advance)"

UNCONSULTED_RULES: tuple[Rule, ...] = (
    Rule(
        name="without consultation",
        trigger=r"without",
        cue=rf"\bwithout\s+(?:(?:holding|having|carrying\s+out|running|launching|undertaking|conducting|going\s+(?:out\s+)?"
        rf"to|any\s+form\s+of)\s+)?(?:{_ADJ}\s+)*(?:consultation|consulting|engagement|engaging|notice|warning|discussion|"
        r"scrutiny|telling|informing|notifying|asking|involving|debate|(?:a\s+)?(?:public\s+)?(?:vote|say|input))\b",
        veto_before=_PROMISE,
        reach=70,
    ),
    Rule(
        name="without being consulted",
        trigger=r"without",
        cue=r"\bwithout\s+(?:[\w'’]+\s+){0,4}?(?:being|having\s+been)\s+(?:consulted|told|informed|asked|notified|involved|"
        r"warned)\b|\bwithout\s+(?:\w+\s+)?(?:knowledge|agreement|consent|say|input)\b",
        veto_before=_PROMISE,
        reach=70,
    ),
    Rule(
        name="no consultation",
        trigger=r"consult|involvement|engagement|warning|notice|exempt",
        cue=r"\b(?:no|not\s+any|barely\s+any|hardly\s+any|little|lack\s+of|absence\s+of|minimal|scant|zero|inadequate|"
        r"insufficient|limited|no\s+real)\s+(?:[\w-]+\s+){0,2}?(?:consultation|public\s+involvement|engagement)\b|"
        r"\bno\s+(?:prior\s+|advance\s+|proper\s+|real\s+)?(?:warning|notice)\b|\bnot\s+(?:\w+\s+){0,2}?(?:carry|carried|"
        r"carrying|hold|held|holding|run|ran|undertake|undertaken|launch|launched)\s+(?:out\s+)?(?:a\s+|any\s+)?"
        r"(?:[\w-]+\s+)?consultation\b|"
        r"\b(?:not|n't)\s+(?:\w+\s+){0,2}?(?:require|requires|trigger|triggers|warrant|warrants|need|needs)\s+(?:a\s+)?"
        r"(?:[\w-]+\s+)?consultation\b|"
        r"\bno\s+(?:plans?|intention|proposals?|need|requirement|duty|obligation)\s+(?:for|of|to)\s+(?:\w+\s+){0,4}?"
        r"consult\w*|\bconsultation\s+(?:was|is|were|has\s+been|had\s+been|would\s+be|will\s+be)\s+(?:not|never)\s+"
        r"(?:required|needed|necessary|held|carried\s+out|undertaken|launched|done)\b|\bexempt\w*\s+from\s+(?:\w+\s+)?"
        r"consultation\b",
        veto=r"\bconsultation\s+(?:fees?|rooms?)\b|\bno\s+public\s+consultations?\s+(?:are\s+)?(?:currently\s+)?open\b",
        quoted_veto=True,
    ),
    Rule(
        name="not required to consult",
        trigger=r"consult",
        cue=r"\b(?:not|no|n't|never)\s+(?:\w+\s+){0,3}?(?:required|obliged|obligated|need(?:ed)?|have|has|had|necessary|"
        r"duty|requirement|obligation)\s+(?:\w+\s+){0,2}?(?:to\s+)?(?:consult\w*|for\s+(?:a\s+)?(?:\w+\s+)?consultation)\b",
    ),
    Rule(
        name="not told",
        trigger=r"told|tell|inform|notif|warn|brief|consult|involv|ask|engag|discuss|shared",
        cue=rf"\b(?:not|never|n't|fail(?:ed|ing|s)?\s+to|failure\s+to|refus(?:ed|ing|es)\s+to)\s+{_TOLD}",
        veto=r"\bnot\s+(?:\w+\s+)?(?:inform|involve)\w*\s+(?:any|a)\s+change\b",
        reach=60,
    ),
    Rule(name="without telling", trigger=r"without", cue=rf"\bwithout\s+{_TOLD}", veto_before=_PROMISE, reach=70),
    Rule(
        name="kept in the dark",
        trigger=r"dark|closed|private|secret|confidential|scrutiny|kept|wraps|public\s+eye|quietly|stealth",
        cue=r"\bin\s+the\s+dark\b|\bbehind\s+closed\s+doors\b|\bin\s+(?:a\s+)?(?:private|secret|closed|confidential)\s+"
        r"(?:board\s+)?(?:meeting|session)|\bin\s+private\b|\bprivate\s+(?:board\s+)?(?:meeting|session)\b|\bsecret(?:ly)?\b|"
        r"\bin\s+secret\b|\bconfidential\s+(?:part|session|meeting)\b|\bwithout\s+public\s+scrutiny\b|"
        r"\bkept\s+(?:quiet|under\s+wraps|secret)\b|\bunder\s+wraps\b|\bout\s+of\s+the\s+public\s+eye\b|\bquietly\b|"
        r"\bby\s+stealth\b",
        veto=r"\bsecretar\w+|\bsecretariat\b",
    ),
    Rule(
        name="decided before the public was told",
        trigger=r"before|prior|press|media|news|paper|social|facebook|twitter|radio|television|tv|already|pre-?decided|pre-?determined|fait|done|notice|announced",
        cue=r"\bbefore\s+(?:\w+\s+){0,4}?(?:was|were|had|have|has|being|is|are|can|could|would)\s+(?:been\s+|be\s+)?"
        r"(?:\w+ly\s+)?(?:told|informed|consulted|"
        r"notified|asked|warned|briefed)\b|\b(?:found\s+out|learned|learnt|heard|discovered|read|told)\s+(?:[^\s.;]+\s+)"
        r"{0,10}?(?:from|through|via|on|in)\s+(?:the\s+)?(?:local\s+)?(?:press|media|news|newspapers?|paper|social\s+media|"
        r"facebook|twitter|radio|television|TV)\b|\b(?:decision|decided|agreed)\s+(?:\w+\s+){0,6}?(?:before|prior\s+to)\s+(?:any\s+)?"
        r"(?:public\s+)?(?:consultation|engagement)\b|\b(?:already|pre-?)\s*(?:been\s+)?(?:decided|determined|"
        r"made\s+(?:up|the\s+decision))\b|\bfait\s+accompli\b|\bdone\s+deal\b|\b(?:at|with)\s+(?:very\s+)?(?:little|"
        r"no)\s+notice\b|"
        r"\b(?:with|given|gave|giving|had|received|only)\s+(?:only\s+|just\s+|less\s+than\s+)?(?:\w+\s+){1,2}(?:days?|"
        r"hours?|weeks?)['’]?\s+notice\b|"
        r"\bannounced\s+(?:\w+\s+){0,3}?without\b",
    ),
    Rule(
        name="no say",
        trigger="nobody|no|say|behind|sneak|snuck|refus|declin|fail|substantial",
        cue=r"\b(?:no\s*one|nobody)\s+(?:\w+\s+)?(?:asked|told|consulted|informed|warned|involved)\b|\b(?:not|never|no)\s+"
        r"(?:\w+\s+)?(?:given|had|get|got|having)\s+(?:a|any)\s+(?:real\s+)?say\b|\bbehind\s+(?:the|our|their|people's)\s+"
        r"backs\b|\b(?:sneak\w*|snuck)\b|\b(?:refus|declin|fail)\w*\s+to\s+(?:hold|carry\s+out|run|launch|undertake|"
        r"go\s+out\s+to)\s+(?:a\s+|any\s+)?(?:[\w-]+\s+)?consultation\b|\bnot\s+(?:\w+\s+){0,2}?(?:a\s+)?['‘\"“]?"
        r"substantial\s+(?:variation|change|development)",
    ),
    Rule(
        name="engagement instead of consultation",
        trigger=r"rather|instead|place|engagement",
        cue=r"\b(?:rather\s+than|instead\s+of|in\s+place\s+of)\s+(?:a\s+|any\s+)?(?:full\s+|formal\s+|public\s+|"
        r"statutory\s+)*consultation\b|\bengagement\s+(?:rather\s+than|instead\s+of|not)\b",
    ),
    Rule(
        name="engagement",
        trigger=r"engagement|listening",
        cue=r"\b(?:period|programme|process|exercise|phase|weeks?)\s+of\s+(?:[\w-]+\s+){0,2}?engagement\b|\b(?:focused|"
        r"targeted|informal|limited|light-touch|local)\s+engagement\b|\bengagement\s+(?:exercise|period)\b|"
        r"\blistening\s+(?:exercise|events?)\b",
        veto=r"\bconsultation\b|\bpre-",
        reach=160,
    ),
    Rule(
        name="consultation bypassed",
        trigger=r"bypass|by-pass|sidestep|side-step|avoid|dodg|circumvent|swerv|skip",
        cue=r"\b(?:bypass\w*|by-pass\w*|sidestep\w*|side-step\w*|avoid\w*|dodg\w*|circumvent\w*|swerv\w*|skip\w*)\s+"
        r"(?:\w+\s+){0,3}?(?:consultation|scrutiny|the\s+public|public\s+opinion|the\s+HOSC|the\s+council)\b",
    ),
)
