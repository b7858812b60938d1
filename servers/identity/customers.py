"""Who is this customer, who used this card, what is this customer worth."""

from __future__ import annotations

from typing import Annotated

from fastmcp import Context, FastMCP
from pydantic import Field

from servers.common import READ_ONLY, Cursor, Limit, safe
from servers.identity.args import CustomerRef
from servers.identity.deps import require
from servers.identity.results import CardLookup, CustomerLookup, CustomerMetrics

Fingerprint = Annotated[
    str,
    Field(
        min_length=1,
        max_length=200,
        description="The POS's opaque card fingerprint, as it appears in a tender (never a card number).",
    ),
]


def register(mcp: FastMCP) -> None:
    @mcp.tool(annotations=READ_ONLY)
    def lookup_customer(customer: CustomerRef, ctx: Context) -> CustomerLookup:
        """Find one customer of this merchant by Canary's customer_id or the POS's own customer id.

        Use it first when a question names a customer: it says whether the customer exists, which id
        matched, their status (active, archived, forgotten), tier, first/last seen (UTC) and lifetime
        value (gross and net of refunds, in cents). A customer that does not exist comes back with
        found=false, not an error. Customers hold no names, emails or phone numbers.
        """
        deps, who = require(ctx)
        return safe(deps.identity.lookup_customer(who.merchant_id, customer, stores=who.stores))

    @mcp.tool(annotations=READ_ONLY)
    def lookup_customer_by_card(
        fingerprint: Fingerprint, ctx: Context, limit: Limit = 20, cursor: Cursor = None
    ) -> CardLookup:
        """Which customers paid with this card, and how widely the card is used.

        Use it for card-sharing and velocity questions: the card's use count, distinct customers and
        locations, first/last use (UTC), then the customers it paid for (uses, net lifetime value in
        cents), ordered by customer_id and paginated with limit and cursor. Uses on transactions that
        named no customer are counted in anonymous_uses. An unknown fingerprint gives found=false.
        """
        deps, who = require(ctx)
        found = deps.identity.lookup_customer_by_card(
            who.merchant_id, fingerprint, limit=limit, cursor=cursor, stores=who.stores
        )
        return safe(found)

    @mcp.tool(annotations=READ_ONLY)
    def customer_metrics(customer: CustomerRef, ctx: Context) -> CustomerMetrics:
        """One customer's money figures: gross lifetime value, refunds, net, sale and refund counts,
        average ticket (all in cents, tax included), first/last seen (UTC) and days since last seen.

        Use it for "what is this customer worth" or "how much does this customer refund"; the answer
        states its own definitions. An unknown customer is an error that says how to find one.
        """
        deps, who = require(ctx)
        return safe(deps.identity.customer_metrics(who.merchant_id, customer, stores=who.stores))
