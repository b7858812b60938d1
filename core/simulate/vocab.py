"""The simulator's audit-trail vocabulary for Counterpoint's PS_DOC_AUDIT_LOG.

NCR publishes no ACTIV code list (ASSUMPTION-Q-01): only ``N`` / "Entered a new ticket" is public,
and practitioners mark a voided document with an audit row whose DOC_TYP is ``V``. Everything else
here is the simulator's own convention, chosen to be easy to match on both ACTIV and LOG_ENTRY.
Rules written against this vocabulary must treat it as a stand-in until a customer database shows
the real codes; docs/simulator.md lists it.
"""

from __future__ import annotations

NEW = ("N", "Entered a new ticket")  # [S] NCR sample
LOOKUP = ("L", "Recalled ticket {ticket} for return")  # a receipt look-up before a return
OVERRIDE = ("O", "Price override on line {line} item {item}: {regular} -> {price} ({reason})")
MANAGER = ("M", "Manager override by {manager}: {what}")  # a manager approved something
PAYMENT = ("P", "Added payment {code} {amount}")
EDIT = ("E", "Changed line {line} item {item}: quantity {before} -> {after}")
TENDER_CHANGE = ("T", "Changed payment {code} {amount} to {new_code}")
COMMIT = ("C", "Committed ticket")
HOLD = ("H", "Put ticket on hold ({what})")
RECALL = ("R", "Recalled held ticket ({what})")
RELEASE = ("D", "Released layaway for pickup")
VOID = ("V", "Voided ticket {ticket}")  # written with DOC_TYP 'V' [P]

# PS_DOC_PMT pay codes and their PAY_COD_TYP ([S] the NCR PayCodes sample).
PAY_CODES = {
    "CASH": ("CASH", "B", "Cash"),
    "DEBIT": ("DEBIT", "D", "Debit card"),
    "ACCOUNT": ("AR", "A", "Charge to account"),
    "CHECK": ("CHECK", "C", "Check"),
}
CARD_CODES = {
    "VISA": ("VISA", "E", "Visa"),
    "MASTERCARD": ("MC", "E", "MasterCard"),
    "AMERICAN_EXPRESS": ("AMEX", "E", "American Express"),
    "DISCOVER": ("DISCOVER", "E", "Discover"),
}


def pay_code(method: str, brand: str | None) -> tuple[str, str, str]:
    """(PAY_COD, PAY_COD_TYP, DESCR) for a tender."""
    if method == "CARD":
        return CARD_CODES.get(brand or "VISA", CARD_CODES["VISA"])
    return PAY_CODES[method]


def text(entry: tuple[str, str], **values: object) -> tuple[str, str]:
    """(ACTIV, LOG_ENTRY) with the template filled in, cut to the column's 250 characters."""
    activ, template = entry
    return activ, template.format(**values)[:250]
