"""What the Counterpoint adapter maps, and why it ignores the rest.

Every valid response NCR's API guide documents is either mapped (parser.py) or listed here with the
reason Canary does not ingest it, so an ``ignored`` row in ingestion_log always says why.
"""

from __future__ import annotations

from typing import Any

from core.domain.parsing import Ignored

EXPORT_TABLES = frozenset(
    {
        "PS_DOC_HDR",
        "PS_TKT_HIST",
        "IM_XFER_HDR",
        "IM_XFER_IN_HIST",
        "PO_RECVR_HIST",
        "PO_RTV_HIST",
        "IM_ADJ_HIST",
        "IM_ADJ_TRX",
    }
)

REQUEST_BODY = (
    "a request body sent to Counterpoint (no ErrorCode): Canary reads Counterpoint and never writes to it; "
    "push responses verbatim, with their ErrorCode"
)
STATUS_ONLY = "a status-only response (ErrorCode/Message): it carries no record"
WRITE_CONFIRMATION = "a write confirmation (reference + Link to the record): it names a record, not its data"

# Top-level key of a successful response -> why it is not loss-prevention substrate.
NOT_SUBSTRATE: dict[str, str] = {
    "SystemInfo": "API server system information (version, OS, start time)",
    "APIKey": "API key administration",
    "APIKeys": "API key administration",
    "AdminUsers": "API administrator accounts",
    "CompanyAdmins": "API company administrator accounts",
    "SY_COMP": "company-wide system settings (SY_COMP), no rule threshold among them",
    "AR_CTL": "accounts-receivable control settings (AR_CTL); customer tiers come from AR_CUST",
    "Database": "API server database connection settings",
    "Databases": "API server database connection settings",
    "AddDatabasesResults": "API server database connection settings",
    "DeviceConfig": "API device configuration",
    "EC_CTL": "eCommerce control settings",
    "SY_GFC_COD": "gift-card code definitions: no Q rule reads them",
    "GiftCards": "gift-card balances: no Q rule reads them (gift-card tenders arrive on documents)",
    "IM_CTL": "inventory control settings (numbering, defaults)",
    "IM_INV_LOC": "an inventory cost snapshot: Q reads stock movements, not balances",
    "IM_INV": "inventory on-hand snapshots: Q reads stock movements, not balances",
    "IM_SER": "serial-number records",
    "IMAGE_FILENAMES": "item image file names",
    "SY_PAY_COD": "a pay-code definition: document payments already carry PAY_COD_TYP",
    "Paycodes": "pay-code definitions: document payments already carry PAY_COD_TYP",
    "role": "API security roles",
    "roleList": "API security roles",
    "RoleList": "API security roles",
    "EndpointList": "API role endpoint permissions",
    "UserList": "API users and their roles",
    "SY_USR": "a Counterpoint user account: activity is attributed by USR_ID on documents",
    "StoreId": "card tokenisation status counts",
    "PS_STA": "station configuration: stations are learned from documents' STA_ID",
    "TaxCodes": "tax-code names: the per-authority tax stack arrives on each document (PS_DOC_TAX)",
    "SY_WRKGRP": "workgroup numbering counters (next ticket/transfer/receiver numbers)",
    "Documents": WRITE_CONFIRMATION,
}


def classify_other(body: dict[str, Any]) -> Ignored:
    """A successful response without a mapped key (document parts without their header never get
    here: the parser fails them, naming PS_DOC_HDR)."""
    for key, reason in NOT_SUBSTRATE.items():
        if key in body:
            return Ignored(reason)
    if set(body) <= {"ErrorCode", "Message"}:
        return Ignored(STATUS_ONLY)
    if "Link" in body or "reference" in body:
        return Ignored(WRITE_CONFIRMATION)
    return Ignored(f"unrecognised Counterpoint response (top-level keys: {', '.join(sorted(body))})")
