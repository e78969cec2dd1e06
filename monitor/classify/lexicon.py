"""Shared vocabulary of the rules: what counts as a service, an NHS organisation, a data object.

Each constant is a regular-expression fragment without capturing groups, matched case-insensitively.
"""

from __future__ import annotations

#: A service, a place of care or its capacity: what a closure, move or suspension acts on.
SERVICE = (
    r"\b(?:wards?|beds?|units?|hospitals?|A\s?&\s?E|A and E|accident (?:and|&) emergency|emergency departments?|"
    r"EDs?|urgent (?:treatment|care) cent(?:re|er)s?|UTCs?|minor injur(?:y|ies)|MIUs?|walk-in|maternity|"
    r"midwi(?:fe|fery|ves)[- ]led|midwifery|MLUs?|birth(?:ing)?|births|deliveries|labour wards?|obstetric\w*|"
    r"neonatal|paediatric\w*|pediatric\w*|children'?s (?:ward|services|unit)|stroke|trauma|cardiac|cardiology|"
    r"vascular|cancer|oncology|chemotherapy|radiotherapy|dialysis|renal|critical care|intensive care|ICU|HDU|"
    r"theatres?|surger(?:y|ies)|surgical|practices?|GPs?|branch(?:es)?|clinics?|cent(?:re|er)s?|services?|"
    r"facilit(?:y|ies)|departments?|inpatients?|in-patients?|outpatients?|out-patients?|day cases?|mental health|"
    r"pharmac(?:y|ies)|dental|dentists?|endoscopy|x-ray|scanning|diagnostics?|provision|hospice|"
    r"ambulance stations?|opening (?:hours|times)|home births?|rehab\w*|respite|sites?)\b"
)

#: Services specific enough that "merging" them is a service change, not an organisational merger.
SERVICE_UNIT = r"\b(?:wards?|units?|departments?|clinics?|theatres?|beds)\b"

#: An NHS organisation (or several): the context a merger needs.
ORGANISATION = (
    r"\b(?:trusts?|foundation trusts?|CCGs?|clinical commissioning groups?|ICBs?|integrated care boards?|ICSs?|"
    r"integrated care systems?|health boards?|practices|GP practices?|surger(?:y|ies)|partnerships?|PCNs?|"
    r"primary care networks?|commissioners?|commissioning|organisations?|organizations?|bodies|hospitals|NHS|"
    r"providers?|(?:\d+|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|several|the) groups)\b"
)

#: Plural organisations, as the object of "consolidating 18 CCGs into six".
ORGANISATIONS_PLURAL = (
    r"(?:CCGs|clinical commissioning groups|trusts|ICBs|integrated care boards|organisations|organizations|"
    r"practices|surgeries|commissioners|health boards|providers)\b"
)

#: What IT projects and minutes "merge": never an organisational merger.
DATA_OBJECT = (
    r"(?:records?|data|datasets?|index|indices|MPI|registrations?|systems?|IT|databases?|duplicates?|files?|"
    r"lists?|accounts|ledgers?|budgets?|spreadsheets?|documents?|papers?|reports?|agenda|items?|committees?|"
    r"meetings?|minutes|domains?|platforms?|EPRs?|servers?|sections?|posts?|roles?|teams?|functions?)\b"
)

#: Words of a public (not staff) audience.
PUBLIC = r"\b(?:public|patients|residents|local people|communit(?:y|ies)|service users|the people|people of)\b"

#: Staff and HR consultations.
STAFF = (
    r"\b(?:staff|employees?|colleagues|workforce|HR|trade unions?|unions?|redundanc\w*|collective|TUPE|jobs?|"
    r"posts|roles|pay|terms and conditions|rotas?|shift patterns?|members of staff|organisational change)\b"
)

#: A place name or named site after a preposition (case-sensitive capital).
PLACE_AHEAD = r"(?-i:[A-Z])"
