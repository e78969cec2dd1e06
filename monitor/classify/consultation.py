"""Consultation cues: a public consultation launched, open, running, or agreed with dates.

Not a consultation delayed, paused or finished, not one with staff, not a GP "video consultation",
not a demand for one and not a draft.
"""

from __future__ import annotations

from monitor.classify.lexicon import PUBLIC, STAFF
from monitor.classify.rules import Rule

_CONS = r"consultations?\b"
_START = (
    r"(?:launch(?:ed|es|ing)?|open(?:ed|s|ing)?|start(?:ed|s|ing)?|begin(?:s|ning)?|began|begun|"
    r"commenc(?:e|ed|es|ing)|kick(?:ed|s|ing)?\s+off|get(?:s|ting)?\s+under\s?way|got\s+under\s?way|"
    r"(?:is|are|now)\s+under\s?way|run(?:s|ning)?|go(?:es)?\s+live|went\s+live)"
)
_STATE_AFTER = (
    r"(?:launched|launching|opens|opened|open|opening|starts|started|start|starting|begins|began|begin|beginning|"
    r"commences|commenced|commencing|kicks\s+off|"
    r"kicked\s+off|(?:is|gets|got)\s+under\s?way|goes\s+live|went\s+live|runs|running|run|(?:ends|ending|closes|"
    r"will\s+close)\s+(?:on|at)|lasts|will\s+last|until|live)\b"
)
_AUX = (
    r"(?:(?:has|have|had|was|were|is|are|will|would|shall|to|be|been|being|now|officially|formally|today|also|due)\s+)*"
)
_WEEKS = r"(?:\d+|four|six|eight|ten|twelve|thirteen|fourteen|sixteen)"

#: A consultation that is not (or not yet, or no longer) running, or not a public one.
_NOT_RUNNING = (
    r"\bconsultations?\s+(?:\w+\s+){0,4}?(?:has\s+|have\s+|was\s+|were\s+|is\s+|been\s+|be\s+|being\s+|will\s+be\s+|"
    r"had\s+been\s+)*(?:delayed|postponed|paused|deferred|halted|put\s+on\s+hold|on\s+hold|shelved|abandoned|"
    r"cancell?ed|suspended|closed|ended|concluded|completed|finished|scrapped)\b|"
    r"\b(?:delay(?:ed|ing|s)?|postpon\w+|paus(?:e|ed|ing)|defer(?:red|ring)?|halt(?:ed|ing)?|shelv\w+|abandon\w*|"
    r"cancel\w*|suspend\w*|scrap\w*|clos(?:ed|ing)|end(?:ed|ing)?|conclud\w*|complet(?:ed|ion))\s+(?:of\s+)?(?:the\s+|a\s+|its\s+|"
    r"this\s+)?(?:[\w-]+\s+){0,2}?consultations?\b|"
    r"\bno\s+(?:[\w-]+\s+){0,2}?consultations?\b|\bnot\s+(?:yet\s+)?(?:been\s+|be\s+)?(?:launch|start|open|begun|"
    r"held|consult)\w*|\byet\s+to\s+(?:launch|start|begin|open)\b|\bwithout\s+(?:\w+\s+){0,2}?consultation\b|"
    r"\b(?:rather\s+than|instead\s+of|in\s+place\s+of)\s+(?:a\s+)?(?:\w+\s+)?consultation\b"
)
_NOT_PUBLIC = (
    r"\b(?:video|telephone|phone|online\s+GP|virtual|remote|face[- ]to[- ]face|e-?|GP|doctor|nurse|outpatient|"
    r"first|follow-?up|private|clinical|medical)\s*consultations?\b|\bconsultations?\s+(?:fees?|rooms?|rates?|"
    r"times?|length|slots?|with\s+(?:a|your|the)\s+(?:GP|doctor|clinician|consultant|nurse))\b"
)
_STAFF_CONSULTATION = (
    rf"\bconsultations?\s+(?:with|among|for|of)\s+(?:\w+\s+){{0,2}}?{STAFF}|{STAFF}\s+(?:\w+\s+)?consultations?\b"
)
_BEFORE_NOT_LAUNCHED = (
    r"\b(?:following|after|since|post|results?\s+of|outcomes?\s+of|findings\s+of|responses?\s+to|respond(?:ed|ing)?\s+"
    r"to\s+(?:the|a|an)\s+(?:\w+\s+){0,3}|feedback\s+(?:from|on)|analysis\s+of|reports?\s+on|conclusion\s+of|end\s+of|"
    r"call(?:s|ed|ing)?\s+for|demand\w*|want\w*|petition\w*\s+for|ask\w*\s+for|urg\w*|press\w*\s+for|push\w*\s+for|"
    r"need\s+for|should\s+(?:be|have)|must\s+be|no|without|lack\W+of|absence\s+of|before\s+(?:any|a)|"
    r"ahead\s+of|draft|whether|refus\w*|declin\w*|fail\w*|reject\w*|resist\w*|prepar\w+|plan(?:s|ning)?\s+for|would\s+(?:be\s+)?(?:need|require)\w*|any)"
    r"\s+(?:the\s+|a\s+|an\s+|this\s+|its\s+|last\s+\w+'?s?\s+)?(?:[\w-]+\s+){0,3}$|\bpre-$"
)
_VETO = rf"{_NOT_RUNNING}|{_NOT_PUBLIC}"

CONSULTATION_RULES: tuple[Rule, ...] = (
    Rule(
        trigger=r"consult",
        name="consultation launched",
        cue=rf"\b{_START}\s+(?:of\s+)?(?:today\s+)?(?:a|an|the|its|their|our|this)?\s*(?:[\w-]+\s+){{0,4}}?{_CONS}",
        veto=_VETO,
        veto_before=r"\b(?:whether\s+(?:or\s+not\s+)?to|if\s+(?:it|they|we)\s+(?:should|will|would)|could|may|might|"
        r"would|should|decide\s+to|calls?\s+(?:on\s+\w+\s+)?to|urged?\s+\w+\s+to)\s*$",
        soft_veto=_STAFF_CONSULTATION,
        rescue=PUBLIC,
        reach=60,
    ),
    Rule(
        trigger=r"consult",
        name="consultation open",
        cue=rf"\b{_CONS},?(?:\s+[^\s.;:]+){{0,10}}?\s+{_AUX}{_STATE_AFTER}",
        veto=_VETO,
        soft_veto=_STAFF_CONSULTATION,
        rescue=PUBLIC,
        veto_before=_BEFORE_NOT_LAUNCHED,
        reach=60,
    ),
    Rule(
        trigger=r"consult",
        name="out to consultation",
        cue=r"\b(?:go(?:es|ing)?|went|gone|put|putting|take|taken|taking)\s+(?:\w+\s+){0,2}?out\s+(?:\w+\s+)?(?:to|for)\s+"
        rf"(?:a\s+|an\s+)?(?:[\w-]+\s+){{0,3}}?{_CONS}|\b(?:go(?:es|ing)?|went|gone|proceed(?:s|ed|ing)?)\s+(?:with|to)\s+"
        rf"(?:a\s+|the\s+)?(?:full\s+|formal\s+|statutory\s+)?public\s+{_CONS}",
        veto=_VETO,
        veto_before=_BEFORE_NOT_LAUNCHED,
        soft_veto=_STAFF_CONSULTATION,
        rescue=PUBLIC,
        reach=50,
    ),
    Rule(
        trigger=r"consult",
        name="consulting",
        cue=r"\b(?:is|are|was|were|be|been|currently|now|still)\s+consulting\s+(?:\w+\s+){0,3}?(?:on|about|over|whether)\b|"
        r"\b(?:will|to|would|shall)\s+consult\s+(?:\w+\s+){0,4}?(?:on|about|over|whether)\b|"
        r"\bconsult(?:s|ing|ed)?\s+(?:with\s+)?(?:the\s+)?(?:public|patients|residents|local\s+people|people|"
        r"communities|the\s+community|service\s+users)\b",
        veto=r"\bnot\b|\bno\b|\bnever\b|\bwithout\b|\bfail\w*\b|\brefus\w*\b|n't\b",
        soft_veto=STAFF,
        rescue=PUBLIC,
        reach=50,
    ),
    Rule(
        trigger=r"consult",
        name="weeks of consultation",
        cue=rf"\b{_WEEKS}[- ](?:week|month)\s+(?:[\w-]+\s+){{0,2}}?{_CONS}|"
        rf"\b{_CONS}\s+(?:period\s+)?(?:of|for|lasting)\s+{_WEEKS}\s+weeks\b",
        veto=_VETO,
        soft_veto=_STAFF_CONSULTATION,
        rescue=PUBLIC,
        veto_before=_BEFORE_NOT_LAUNCHED,
        reach=60,
    ),
    Rule(
        trigger=r"consult",
        name="public consultation",
        cue=rf"\b(?:public|formal|statutory|full)\s+{_CONS}\s+(?:on|into|about|over|regarding|into)\b|"
        r"\b(?:is|are|be|remain)\s+(?:now\s+)?subject\s+to\s+(?:a\s+)?(?:full\s+|formal\s+|[\w-]+-week\s+)?public\s+"
        rf"{_CONS}",
        veto=_VETO,
        veto_before=_BEFORE_NOT_LAUNCHED,
        reach=60,
    ),
    Rule(
        trigger=r"say|consult",
        name="have your say",
        cue=r"\bhave\s+(?:your|their|our)\s+say\b|\b(?:take\s+part\s+in|respond\s+to|complete|fill\s+in)\s+(?:the|this|our)\s+"
        r"(?:\w+\s+)?consultation\b|\bconsultation\s+(?:survey|questionnaire|document|events?)\s+(?:is|are)\s+(?:now\s+)?"
        r"(?:available|open|live|online)\b|\bconsultation\s+(?:events?|meetings?|sessions?|drop-ins?|roadshows?)\s+"
        r"(?:will\s+be|are\s+being|are|is|being)\s+(?:held|run|taking\s+place)\b|\bclosing\s+date\s+for\s+(?:the\s+)?(?:\w+\s+)?consultation\b",
        needs=r"\b(?:consult\w*|plans?|proposals?|changes?|future)\b",
        veto=_VETO,
        soft_veto=_STAFF_CONSULTATION,
        rescue=PUBLIC,
    ),
    Rule(
        trigger=r"views|ask|until|give|giving|share|sharing|submit|seek",
        name="views sought",
        cue=r"\b(?:give|giving|share|sharing|submit|submitting)\s+(?:your|their|our)\s+views\s+(?:on|about)\b|\bask(?:s|ed|"
        r"ing)?\s+for\s+(?:\w+\s+)?(?:views|feedback|comments)\s+(?:on|about)\s+(?:[\w'’-]+\s+){0,4}?(?:until|by|before)\b|"
        r"\bseek(?:s|ing)?\s+(?:the\s+)?(?:public's\s+|people's\s+|your\s+|local\s+|residents'\s+|patients'\s+)?views\s+"
        r"(?:on|about)\b|\bviews\s+(?:are\s+)?(?:being\s+)?(?:sought|invited)\s+(?:on|about|from)\b|\bask(?:s|ed|ing)?\s+"
        r"(?:the\s+public|people|residents|patients|local\s+people|communities|everyone)\s+(?:what\s+they\s+think|for\s+"
        r"(?:their\s+)?views|to\s+(?:have|give|share)\s+their)\b|\b(?:has|have)\s+until\s+(?:[\w,]+\s+){1,4}?to\s+"
        r"(?:comment|respond|have\s+(?:their|your)\s+say|give|share|submit|take\s+part)\b",
        needs=r"\b(?:consult\w*|plans?|proposals?|changes?|future|options?|draft|until|by|before|deadline)\b",
        soft_veto=STAFF,
        rescue=PUBLIC,
        veto=_NOT_RUNNING,
    ),
    Rule(
        name="responses invited",
        trigger="consult",
        cue=r"\bas\s+part\s+of\s+(?:the|a|this|our)\s+(?:[\w-]+\s+){0,2}?consultation\b|\b(?:responses?|comments?|views|"
        r"feedback)\s+(?:to|on)\s+(?:the|this|our)\s+(?:[\w-]+\s+){0,2}?consultation\s+(?:[\w-]+\s+){0,5}?(?:until|by|"
        r"before)\s+(?:\d|the\s+\d|midnight|noon|\d+(?:am|pm)|(?-i:[A-Z]))",
        veto=_VETO,
        soft_veto=_STAFF_CONSULTATION,
        rescue=PUBLIC,
    ),
    Rule(
        trigger=r"consult",
        name="consultation agreed",
        cue=r"\b(?:agreed|approved|voted|decided|endorsed|given\s+the\s+go-ahead|gave\s+the\s+go-ahead)\s+(?:to\s+)?"
        r"(?:(?:go\s+out\s+to|launch|start|hold|run|begin|undertake|proceed\s+(?:to|with))\s+)?(?:a\s+|the\s+)?"
        rf"(?:[\w-]+\s+){{0,3}}?{_CONS}",
        veto=_VETO + r"|\bresponses?\s+to\b|\boutcome\b|\bfindings\b|\breport\s+on\b",
        soft_veto=_STAFF_CONSULTATION,
        rescue=PUBLIC,
        reach=50,
    ),
)
