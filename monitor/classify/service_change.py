"""Service-change cues: closure, downgrade, suspension, relocation, centralisation, bed cuts, reconfiguration.

Every verb here also has an everyday sense in board papers ("actions closed", "moved to the next
item", "consolidated accounts", "suspended from duty"), so each rule wants a service named close by
and cancels the cue in the usual routine phrases.
"""

from __future__ import annotations

from monitor.classify.lexicon import ORGANISATIONS_PLURAL, PLACE_AHEAD, SERVICE, SERVICE_UNIT
from monitor.classify.rules import Rule

_ROUTINE_CLOSE = (
    r"\bclose\s+(?:to|by|working|partnership|collaboration|relationship|liaison|monitoring|attention|contact|"
    r"scrutiny|proximity|eye|look|watch|links?|co-?operation|alignment|oversight|interest|observation|call|"
    r"second|the\s+gap|the\s+loop|the\s+meeting|the\s+item|the\s+session|down\s+(?:the\s+)?actions?)\b|"
    r"\bclosely\b|\bclosed\s+(?:session|part|meeting|item|actions?|by\s+the\s+chair)\b|"
    r"\b(?:actions?|risks?|incidents?|complaints?|cases?|recommendations?|items?|vacanc\w*|points?|audits?|"
    r"concerns?|investigations?|SIs|tickets?|issues?|claims?|breaches)\b(?:\s+[^\s.;]+){0,7}?\s+(?:closed|closure)\b|"
    r"\bclos(?:e|ed|ing|ure)\s+(?:of\s+)?(?:the\s+)?(?:\w+\s+)?(?:accounts|year|actions?|risks?|incidents?|"
    r"meetings?|session|consultation|gap|loop|deficit|project|case|complaint|contract|ledger|books|balance|"
    r"position|date|remarks|report|investigation|file)\b|\bclosing\s+(?:balance|position|date|remarks|cash|stock)\b|"
    r"\bconsultations?\b,?(?:\s+[^\s.;]+){0,10}?\s+(?:closes|closed|closing|will\s+close|close)\s+(?:on|at|in|today|"
    r"tomorrow|next|this|midnight|\d)|\bbehind\s+closed\s+doors\b|"
    r"\bclose\s+of\s+(?:business|play|the\s+consultation|the\s+meeting)\b|\b(?:project|programme)\s+closure\b|"
    r"\b(?:close[sd]?|closing)\s+early\b|\b(?:close[sd]?|closing)\s+(?:\w+\s+)?(?:on|over|for)\s+(?:the\s+)?(?:bank\s+"
    r"holidays?|Christmas|Boxing|Easter|New\s+Year)|"
    r"\bclosed\s+for\s+(?:(?:staff\s+)?training|repairs|refurbishment|maintenance|cleaning|deep\s+cleaning|"
    r"redecoration|the\s+day|lunch)\b|\bclos\w*\s+(?:\w+\s+){0,2}?for\s+(?:\w+\s+){0,2}?(?:repairs|refurbishment|"
    r"maintenance|cleaning|resurfacing|works?|redecoration|upgrades?|improvements|installation)\b|\bhelipad\b|\bclosed\s+(?:daily\s+)?(?:between|from)\s+\d|\b(?:at|over)\s+lunchtime\b|"
    r"\b(?:car\s+parks?|entrances?|lifts?|roads?|corridors?|doors|shops?|caf[eé]s?|restaurants?|canteens?|kitchens?|"
    r"receptions?|waiting\s+rooms?)\s+(?:\w+\s+){0,3}?(?:closed|closing|will\s+close|closes|closure)\b|"
    r"\b(?:closure|closing)\s+of\s+(?:the\s+)?(?:\w+\s+)?(?:car\s+parks?|entrances?|roads?|lifts?|corridors?|"
    r"restaurants?|caf[eé]s?)\b|\b(?:norovirus|outbreaks?|infection\s+control|deep\s+clean\w*)\b|"
    r"\bclosure\s+report\b|\bclos\w*\s+(?:\w+\s+){0,2}?lists?\b|\blists?\s+(?:\w+\s+){0,3}?clos\w*|\bclose\s+the\s+(?:financial\s+)?gap\b|\bmeeting\s+(?:was\s+)?closed\b|"
    r"\bclosed\s+(?:at|with)\s+\d"
)
_PEOPLE = (
    r"(?:staff|colleagues|teams?|posts?|roles?|employees|workforce|the\s+team|managers?|matrons?|directors?|chief|"
    r"chairs?|sisters?|leads?|(?-i:Mr|Mrs|Ms|Miss|Dr)\s+(?-i:[A-Z])\w*)"
)
_NOT_A_SERVICE_MOVE = (
    rf"\b{_PEOPLE}\s+(?:\w+\s+){{0,2}}?(?:re-?locat|mov|transfer|shift)\w*|\b(?:re-?locat|mov|transfer|shift)\w*\s+"
    rf"(?:of\s+)?(?:\w+\s+){{0,2}}?{_PEOPLE}\b|"
    r"\b(?:meetings?|rooms?|venues?|agendas?|items?|minutes|risk\s+registers?|budgets?|funds?|funding|money|£|"
    r"contracts?|data|records|system|offices?|headquarters|HQ|desks?|servers?|cloud|"
    r"(?:risk|rating)\s+(?:score|level)|amber|red\s+rating|green\s+rating|model\s+of\s+care|way\s+of\s+working|"
    r"next\s+(?:item|stage|phase|steps?)|stage\s+\d|phase\s+\d|expenses|package|allowance|relocation\s+costs)\b"
)
_DESTINATION = (
    rf"^\s+elsewhere\b|^[^.;:]{{0,40}}?\bfrom\s+[^.;:]{{1,60}}?\bto\s+(?:the\s+|a\s+|an\s+)?\w|"
    rf"^[^.;:]{{0,80}}?\b(?:to|into|from|out\s+of|onto|over\s+to|across\s+to)\s+(?:the\s+)?(?:{PLACE_AHEAD}|"
    r"nearby|new|another|other|a\s+(?:new|different|single|larger)|one|alternative|neighbouring|an?\s+\w+\s+hospital)"
)
_STAFF_SUSPENSION = (
    r"\b(?:staff\s+member|member\s+of\s+staff|employees?|doctors?|nurses?(?![- ]led)|surgeons?|registrars?|"
    r"from\s+duty|standing\s+orders|the\s+meeting|meeting\s+was|constitution|payments?|licen[cs]e\s+holder|"
    r"disciplinary|sentence|rules|sanctions?)\b"
)
_NUM = r"(?:\d+|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|\w+teen|twenty)"
_CUT_VERB = (
    r"(?:cut|cuts|cutting|closed?|closing|closures?|removed?|removing|lost|lose|go|axed|scrapped|reduced|slashed|halved|"
    r"decommissioned)"
)

SERVICE_CHANGE_RULES: tuple[Rule, ...] = (
    Rule(
        name="closure",
        trigger=r"clos|shut|mothball",
        cue=r"\b(?:clos(?:e|es|ed|ing|ure|ures)|shut(?:s|ting)?(?:\s+down)?|shutdown|mothball\w*)\b",
        near=SERVICE,
        reach=110,
        veto=_ROUTINE_CLOSE,
    ),
    Rule(
        name="bed cut",
        trigger=r"bed",
        cue=r"\breduc\w+\s+(?:[^\s.;]+\s+){0,6}?by\s+(?:\d+|[a-z]+)\s+(?:\w+\s+)?beds\b|"
        r"\b(?:bed\s+(?:numbers|capacity|base)|number\s+of\s+(?:\w+\s+)?beds)\b(?:\s+[^\s.;]+){0,6}?\s+(?:cut|reduced|"
        r"slashed|halved|fall|fell|dropped|down|reduce)\b|"
        r"\b(?:cut(?:s|ting)?(?:\s+to)?|reduc(?:e|es|ed|ing|tions?)(?:\s+in)?|los(?:e|es|ing|s\s+of)|lost|remov(?:e|es|ed|al|ing)|"
        r"clos(?:e|es|ed|ing|ure|ures)|slash(?:ed|es|ing)?|ax(?:e|ed|es|ing)|scrap\w*|fewer)\s+(?:of\s+)?(?:the\s+)?"
        r"(?:number\s+of\s+)?(?:[\w-]+\s+){0,3}?beds\b|\bbed\s+(?:cuts|closures|reductions|losses)\b|"
        rf"\bbeds\b(?:\s+[^\s.;]+){{0,12}}?\s+(?:(?:to|will|would|could|may|might|should|must|be|been|being|are|were|have|"
        rf"has|had)\s+)*{_CUT_VERB}\b",
        veto=r"\bbeds?\s+(?:days?|occupancy|delays?|waits?)\b|\boccupied\b",
    ),
    Rule(
        name="downgrade",
        trigger=r"down",
        cue=r"\bdown-?grad(?:e|es|ed|ing)\b",
        near=SERVICE,
        reach=110,
        veto=r"\b(?:ratings?|credit|risk|scores?|forecasts?|outlook|CQC|requires\s+improvement|inadequate|"
        r"outstanding|bands?|grades?\s+of|posts?)\b",
    ),
    Rule(
        name="downgrade",
        trigger=r"replac|turn|convert|becom|reduced|downsized|operat|run|function",
        cue=r"\b(?:replac(?:e|es|ed|ing)\s+(?:it\s+|them\s+)?(?:with|by)|turn(?:ed|ing)?\s+into|(?:operat|run|function)"
        r"(?:e|es|ed|ing|s)?\s+as|convert(?:ed|ing)?\s+"
        r"(?:in)?to|become|becoming|reduced\s+to|downsized\s+to)\s+(?:an?\s+)?(?:[\w-]+\s+){0,2}?(?:urgent\s+(?:treatment|"
        r"care)\s+cent(?:re|er)|UTC|UCC|midwife[- ]led\s+unit|minor\s+injuries\s+unit|MIU|daytime|day-?time|nurse-led|"
        r"GP-led|walk-in)",
        near=SERVICE,
        reach=120,
    ),
    Rule(
        name="suspension",
        trigger=r"suspen|paus|halt|temporarily",
        cue=r"\bsuspen(?:d|ds|ded|ding|sion|sions)\b|\b(?:births|deliveries|admissions|services?|surgery|operations|"
        r"units?|wards?|clinics?|centres?)\s+(?:\w+\s+){0,3}?['‘\"“]?(?:paused|halted|stopped)\b|\btemporarily\s+(?:\w+\s+)?(?:stop|withdr[ae]w|paus|halt|"
        r"relocat|re-locat|mov|transferr?)\w*|\bpaus(?:e|es|ed|ing)\s+(?:of\s+)?(?:\w+\s+){0,2}?(?:births|deliveries|"
        r"admissions|services|home\s+births|surgery|operations)\b|\bhalt(?:s|ed|ing)?\s+(?:\w+\s+){0,2}?(?:births|"
        r"deliveries|admissions|services)\b",
        near=SERVICE,
        reach=110,
        veto=_STAFF_SUSPENSION,
    ),
    Rule(
        name="relocation",
        trigger=r"re-?locat|temporary|chang",
        cue=r"\bre-?locat(?:e|es|ed|ing|ion|ions)\b|\btemporary\s+(?:move|transfer)\b|\bchang(?:e|ed|es|ing)\s+"
        r"(?:of\s+|in\s+|the\s+|its\s+)?(?:location|site|base)\b",
        veto=_NOT_A_SERVICE_MOVE,
        reach=70,
    ),
    Rule(
        name="relocation",
        trigger=r"mov|transfer|shift",
        cue=r"\b(?:mov(?:e|es|ed|ing)|transfer(?:s|red|ring)?|shift(?:s|ed|ing)?)\b",
        near=SERVICE,
        after=_DESTINATION,
        veto=_NOT_A_SERVICE_MOVE
        + r"|\b(?:patients?|babies|people|mothers|women)\s+(?:\w+\s+){0,2}(?:are|were|was|is|being|"
        r"will\s+be)?\s*(?:transferred|moved)\b|\btransfer\s+of\s+care\b|\btransfers?\s+(?:of|between)\s+patients\b|"
        r"\b(?:move|moving|shift)\s+(?:away\s+)?(?:from|to)\s+(?:a\s+)?(?:\w+\s+)?(?:model|approach|system|way)\b",
        reach=90,
    ),
    Rule(
        name="diverted",
        trigger=r"divert|redirect|rather|instead",
        cue=r"\b(?:divert(?:ed|ing|s)?|redirect(?:ed|ing|s)?)\s+(?:\w+\s+){0,3}?to\b|\b(?:taken|treated|seen|sent|"
        r"cared\s+for|go|travel)\s+(?:to|at|in)\s+(?:the\s+)?(?-i:[A-Z])[^.;]{0,60}?\b(?:rather\s+than|instead\s+of)\s+"
        r"(?:at\s+|in\s+)?(?:the\s+)?(?-i:[A-Z])",
        near=SERVICE,
        reach=100,
        veto=_NOT_A_SERVICE_MOVE + r"|\b(?:calls?|phone|telephone|post|mail|letters?|traffic|funds|money)\b",
    ),
    Rule(
        name="moved out",
        trigger=r"mov|transfer",
        cue=r"\b(?:mov(?:e|es|ed|ing)|transferr?(?:ed|ing)?)\s+(?:\w+\s+){0,2}?out\s+of\b|\bmoving\s+patients\s+out\b",
        near=SERVICE,
        veto=_NOT_A_SERVICE_MOVE,
    ),
    Rule(
        name="centralisation",
        trigger=r"centrali|consolidat|concentrat|together|single|one|hub",
        cue=r"\bcentrali[sz](?:e|es|ed|ing|ation)\b|\bconsolidat(?:e|es|ed|ing|ion)\b|\bconcentrat(?:e|es|ed|ing|ion)\b|"
        r"\b(?:bring|brings|bringing|brought)\s+together\s+(?:\w+\s+){0,2}?services\b|\bsingle[- ]site\b|"
        r"\b(?:in|on|at|onto|to)\s+(?:only\s+)?(?:one|a\s+single)\s+(?:site|hospital|location)\b|"
        r"\bhub[- ]and[- ]spoke\b",
        near=SERVICE,
        reach=110,
        veto=r"\b(?:accounts|financial|balance|statement|budgets?|group\s+accounts|data|figures|learning|"
        r"knowledge|efforts|attention|resources|funding|(?:oxygen|drug|serum|blood)\s+\w*\s*concentrations?|"
        r"concentrate\s+on)\b|" + rf"\bconsolidat\w*\s+(?:of\s+)?(?:the\s+)?(?:\w+\s+){{0,2}}{ORGANISATIONS_PLURAL}",
    ),
    Rule(
        name="ward merger",
        trigger=r"merg",
        cue=r"\bmerg(?:e|es|ed|ing|er)\b",
        after=rf"^\W*(?:(?:of|the|a|an|its|their|our|two|both|with|into|and)\s+)*(?:[\w'’-]+\s+){{0,3}}?"
        rf"(?:{SERVICE_UNIT}|service\b)",
    ),
    Rule(name="ward merger", trigger=r"merg", cue=rf"{SERVICE_UNIT}\s+(?:\w+\s+){{0,4}}?(?:merger|merged|merging)\b"),
    Rule(
        name="service ended",
        trigger=r"ceas|longer|end|stop|withdr|decommission|ax|scrap|los|strip",
        cue=r"\bceas(?:e|es|ed|ing)\b|\bno\s+longer\s+(?:be\s+)?(?:provid|offer|availab|admit|deliver|run|open|treat|"
        r"take|tak|accept|see|carried|perform|done|based|located|hous)\w*|\b(?:services?|provision|clinics?|units?)\s+(?:\w+\s+){0,6}?(?:will|to|would|shall)\s+"
        r"(?:come\s+to\s+an\s+)?end\b|"
        r"\bstop(?:s|ped|ping)?\s+(?:provid|offer|admit|deliver|treat|runn)\w*|\bwithdr(?:aw|awn|awal|ew|awing|aws)\b|"
        r"\bdecommission\w*|\bax(?:e|ed|es|ing)\b|\bscrap(?:s|ped|ping)?\b|\b(?:los(?:e|es|ing)|lost)\s+(?:its|their|"
        r"the|a|our)\b|\bloss\s+of\b|\bend(?:s|ed|ing)?\s+(?:\w+\s+){0,2}?(?:services|births|deliveries|provision)\b|"
        r"\bstripp(?:ed|ing)\s+of\b",
        near=SERVICE,
        reach=90,
        veto=r"\bceased\s+to\s+be\b|\bwithdr\w*\s+(?:of\s+)?(?:the\s+)?(?:funding|paper|item|motion|report)\b|"
        r"\bwithdrawn\s+from\s+the\s+agenda\b|\bscrap(?:ped|ping|s)?\s+(?:the\s+)?(?:plans?|proposals?|charges?|fees?)\b|"
        r"\blost\s+(?:income|revenue|time|days|hours|productivity|sight|track)\b|\bloss\s+of\s+(?:income|revenue|"
        r"earnings|life|sight|days|hours|productivity|trust|confidence|\w+\s+pressure|smell|taste)\b|"
        r"\bend[- ]of[- ]life\b|\bloss[- ]making\b|\bweight\s+loss\b|\bhearing\s+loss\b|\bblood\s+loss\b",
    ),
    Rule(
        name="service ended",
        trigger=r"end|return|reopen|re-open|resum|restart|come",
        cue=r"\bend\s+of\s+(?:the\s+|its\s+)?(?:[\w-]+\s+){0,2}?(?:A\s?&\s?E|maternity|services?|births|deliveries|"
        r"provision|care|units?|wards?|surgery|clinics?|beds)\b|\b(?:will|would|shall)\s+not\s+(?:be\s+)?(?:return|reopen|"
        r"re-open|resume|restart|come\s+back)\w*",
        near=SERVICE,
        veto_before=r"\b(?:at|by|until|before|after|towards|from|to)\s+the\s+$",
        veto=r"\bend[- ]of[- ]life\b|\bend\s+of\s+(?:the\s+)?(?:year|month|quarter|day|week|financial|shift|"
        r"contract)\b",
    ),
    Rule(
        name="service stopped",
        trigger="stop",
        cue=r"\b(?:will|to|would|is\s+to|are\s+to|has|have|had|was|were)\s+(?:be\s+|been\s+)?stop(?:ped)?\b"
        r"(?!\s+(?:smoking|people|patients|the\s+spread|by|at\s+the))",
        near=SERVICE,
        reach=80,
    ),
    Rule(
        name="sold off",
        trigger="sell|sold|sale|dispos",
        cue=r"\b(?:sell|sells|selling|sold|sale\s+of|dispos(?:e|al|ing)\s+of)\b",
        near=r"\b(?:hospitals?|health\s+cent(?:re|er)s?|clinics?|surgery|premises)\b",
        veto=r"\b(?:surplus|land|car\s+parks?|nurses'?\s+home|residences?|accommodation|flats|equipment|shares?|"
        r"lottery|tickets?|food|cigarettes|alcohol|data)\b",
        reach=60,
    ),
    Rule(
        name="change made unconsulted",
        trigger="move|relocat|closure|downgrad|suspension",
        cue=r"\b(?:the|this|that)\s+(?:temporary\s+|permanent\s+|proposed\s+|planned\s+|sudden\s+)?(?:move|relocation|"
        r"closure|downgrade|downgrading|suspension)\b",
        needs=r"\bwithout\s+(?:\w+\s+){0,3}?(?:consultation|consulting|notice|warning|scrutiny|telling|informing|"
        r"asking)|\bno\s+(?:\w+\s+){0,2}?(?:consultation|notice|warning)\b|\bnot\s+(?:been\s+|be\s+)?(?:properly\s+)?"
        r"(?:consulted|told|informed|warned)\b|\bsn(?:uck|eaked)\b|\bbehind\s+closed\s+doors\b",
        veto=_NOT_A_SERVICE_MOVE,
    ),
    Rule(
        name="only available elsewhere",
        trigger="only",
        cue=r"\bonly\s+be\s+(?:available|provided|offered|delivered|based|carried\s+out|performed)\s+(?:at|in|from|on)\b",
        near=SERVICE,
    ),
    Rule(
        name="longer journeys",
        trigger="travel|journey",
        cue=r"\b(?:asked|have|has|need|needs|forced|expected|told)\s+to\s+travel\s+to\b|"
        r"\b(?:travel|journey)\w*\s+(?:of\s+)?(?:an\s+extra\s+|a\s+further\s+|more\s+than\s+|up\s+to\s+|over\s+)?"
        r"\d+\s+(?:extra\s+|more\s+)?miles\b",
        needs=r"\b(?:have\s+to|has\s+to|must|forced|will\s+need|now|instead|further|extra)\b",
    ),
    Rule(
        name="fewer sites",
        trigger=r"hospitals|units|sites|wards|a\s?&\s?es|centres|departments|surgeries|practices|clinics",
        cue=rf"\b{_NUM}\s+(?:[\w'’-]+\s+){{0,3}}?(?:hospitals|units|sites|wards|A\s?&\s?Es|centres|departments|"
        rf"surgeries|practices|clinics)\s+(?:with|into|to|down\s+to)\s+(?:just\s+|only\s+)?(?:{_NUM}|a\s+single|one)\b",
        veto=r"\bincreas\w*|\bexpan\w*|\bmore\b|\badditional\b",
    ),
    Rule(
        name="fewer sites",
        trigger=r"reduc|fewer",
        cue=r"\breduc(?:e|es|ed|ing|tion)\s+(?:in\s+)?(?:the\s+number\s+of\s+)?(?:its\s+|the\s+)?(?:[\w-]+\s+){0,2}?"
        r"(?:hospitals|units|sites|wards|clinics|surgeries|practices|A\s?&\s?Es|centres|branches)\b|\bfewer\s+"
        r"(?:[\w-]+\s+)?(?:hospitals|units|sites|wards|clinics|surgeries|practices|A\s?&\s?Es|centres|beds)\b",
    ),
    Rule(
        name="reconfiguration",
        trigger=r"re-?configur",
        cue=r"\bre-?configur\w+\b",
        near=SERVICE,
        reach=110,
        veto=r"\b(?:IT|systems?|software|network|servers?|rota|room)\b",
    ),
    Rule(
        name="opening hours cut",
        trigger=r"opening|hours|overnight",
        cue=r"\b(?:cut(?:s|ting)?|reduc\w+|slash\w*|shorten\w*|chang\w*|curtail\w*)\s+(?:to\s+|in\s+|of\s+)?"
        r"(?:the\s+)?(?:its\s+)?opening\s+(?:hours|times)\b|\b(?:cut(?:s|ting)?|reduc\w+|slash\w*|shorten\w*|"
        r"curtail\w*)\s+(?:the\s+|its\s+)?hours\s+(?:of|at)\s+(?:the\s+)?(?:[\w&'’-]+\s+){0,4}?(?:units?|MIU|"
        r"centres?|clinics?|hospital|A\s?&\s?E|departments?|surgery|pharmacy|service)\b|\bopening\s+(?:hours|times)\s+(?:\w+\s+){0,3}?(?:cut|reduced|"
        r"slashed|shortened|changed|curtailed)\b|\b(?:close[sd]?|closing|shut)\s+overnight\b|\bovernight\s+closure\b",
    ),
)
