"""Counterpoint's one-letter codes and how Canary reads them, each with its evidence level
(fixtures FIELDS.md): [D] NCR's guide, [S] an NCR sample, [P] practitioner SQL, [I] inference.

NCR publishes no code list, so every reading here is a claim a customer database can refute; the
codes themselves are always kept verbatim on the record next to the reading.
"""

from __future__ import annotations

from core.domain.sales import TransactionType

DOC_TICKET, DOC_ORDER, DOC_QUOTE = "T", "O", "Q"  # [S] T ticket, [D] O order, [P] Q quote
# [P] practitioners find voided documents with EXISTS (PS_DOC_AUDIT_LOG WHERE DOC_TYP = 'V').
DOC_VOID = "V"
# [S] PS_STR_CFG_PS.WALK_IN_CUST_NO = 'CASH': the anonymous walk-in customer. A ticket for it has no
# customer in the canonical model, as a Square sale without a customer_id has none.
WALK_IN_CUSTOMER = "CASH"

# LIN_TYP -> LineItem.line_type. [S] S sale; [D] O order line; [P] R return (history SQL counts R lines
# as returns); [S/I] B backorder (ORD_INSUFF_QTY_LIN_TYP); [I] L layaway, D drop-ship. P and E are
# unknown and pass through as CP_<code> so nothing pretends to understand them.
LINE_TYPES = {
    "S": "SALE",
    "R": "RETURN",
    "O": "ORDER",
    "B": "BACKORDER",
    "L": "LAYAWAY",
    "D": "DROP_SHIP",
}
RETURN_LINE = "RETURN"


def line_type(code: str | None) -> str:
    if code is None:
        return "SALE"  # [S] PS_DOC_LIN.LIN_TYP defaults to a sale line in every sample
    return LINE_TYPES.get(code.upper(), f"CP_{code.upper()}")


# PAY_COD_TYP (= PS_PAY_COD.PAY_TYP) -> Tender.tender_type. [S] values from the PayCodes sample; the
# letter-to-label reading is [I] from the pay codes that carry each letter.
TENDER_TYPES = {
    "A": "STORE_ACCOUNT",  # A/R charge to the customer's account
    "B": "CASH",
    "C": "CHECK",
    "D": "DEBIT",
    "E": "CARD",  # credit cards: VISA, MC, AMEX, DISCOVER
    "F": "EBT",
    "G": "GIFT_CARD",
    "L": "LOYALTY",
    "S": "STORE_CREDIT",
    "V": "STORED_VALUE",
}


def tender_type(code: str | None) -> str:
    if code is None:
        return "OTHER"
    return TENDER_TYPES.get(code.upper(), "OTHER")


def entry_method(swiped: bool | None) -> str | None:
    """[S] SWIPED is Y/N. 'N' does not say keyed: a chip read or a cash tender is also 'N', so only a
    swipe is asserted and everything else stays unknown."""
    return "SWIPED" if swiped else None


def authorized(edc_auth_flag: str | None) -> bool | None:
    """[S] EDC_AUTH_FLG is 'O' on the cash sample; [I] Y authorised, N not. Other letters: unknown."""
    if edc_auth_flag is None:
        return None
    return {"Y": True, "N": False}.get(edc_auth_flag.upper())


def transaction_type(*, voided: bool, has_sale: bool, has_return: bool, total_cents: int) -> TransactionType:
    """VOID when the audit trail marks the document void; REFUND when only return lines, or return
    lines that leave money going back; EXCHANGE for a mix that the customer pays for; else SALE."""
    if voided:
        return TransactionType.VOID
    if has_return and (not has_sale or total_cents < 0):
        return TransactionType.REFUND
    if has_return:
        return TransactionType.EXCHANGE
    if not has_sale and total_cents < 0:
        return TransactionType.REFUND
    return TransactionType.SALE


def transaction_status(*, voided: bool, doc_type: str, posted: bool, amount_due_cents: int | None) -> str:
    if voided:
        return "VOIDED"
    if doc_type == DOC_ORDER:
        return "ORDER"  # an order with deposits: money moved, goods not yet released
    if not posted and amount_due_cents is not None and amount_due_cents > 0:
        return "PENDING"  # tendering not finished
    return "COMPLETED"
