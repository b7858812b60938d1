"""The ledger's side: bounded verification, inclusion and consistency proofs, anchoring state."""

from __future__ import annotations

from typing import Annotated

from fastmcp import Context, FastMCP
from pydantic import Field

from servers.common import READ_ONLY, safe
from servers.tsp_ops.deps import require
from servers.tsp_ops.pipeline import Seq
from servers.tsp_ops.results import AnchorStatus, ChainVerification, ConsistencyProof, InclusionProof

Size = Annotated[int, Field(ge=1, le=2**62, description="A signed checkpoint's tree size.")]
OptionalSize = Annotated[
    int | None,
    Field(default=None, ge=1, le=2**62, description="A signed checkpoint's tree size; omit for the newest."),
]


def register(mcp: FastMCP) -> None:
    @mcp.tool(annotations=READ_ONLY)
    def verify_chain(
        ctx: Context,
        from_seq: Annotated[int, Field(ge=1, le=2**62, description="First seq to check (default 1).")] = 1,
        to_seq: Annotated[
            int | None,
            Field(
                default=None,
                ge=1,
                le=2**62,
                description="Last seq to check, inclusive; default from_seq + 9 999. "
                "At most 100 000 per call.",
            ),
        ] = None,
    ) -> ChainVerification:
        """Verify a range of this merchant's evidence ledger and name the first bad position.

        For seqs from_seq..to_seq: every chain link, every raw payload re-hashed against its sealed
        event hash, every Merkle leaf and stored node inside the range, and every signed checkpoint of
        a size inside it (signature, stored root). Answers ok, the counts checked, first_bad_seq and
        the problems. Bounded so it answers in seconds; walk a big log range by range.
        """
        deps, who = require(ctx)
        return safe(deps.ops.verify_chain(who.merchant_id, from_seq=from_seq, to_seq=to_seq))

    @mcp.tool(annotations=READ_ONLY)
    def get_inclusion_proof(seq: Seq, ctx: Context, tree_size: OptionalSize = None) -> InclusionProof:
        """Proof that event seq is in a signed checkpoint (default the newest): the RFC 6962 audit path
        (hex), the event hash (the leaf data), the root, the C2SP signed checkpoint note and the
        Ed25519 public key (base64) that signs it. Anyone can check it without Canary
        (docs/ledger.md). An event no checkpoint covers yet is an error that says so.
        """
        deps, who = require(ctx)
        return safe(deps.ops.inclusion_proof(who.merchant_id, seq, tree_size))

    @mcp.tool(annotations=READ_ONLY)
    def get_consistency_proof(
        old_size: Size, ctx: Context, new_size: OptionalSize = None
    ) -> ConsistencyProof:
        """Proof that the checkpoint of new_size (default the newest) extends the one of old_size:
        the log only grew, nothing before old_size was rewritten. RFC 6962 consistency proof (hex),
        both roots and both signed notes, and the public key (base64) that signs them.
        """
        deps, who = require(ctx)
        return safe(deps.ops.consistency_proof(who.merchant_id, old_size, new_size))

    @mcp.tool(annotations=READ_ONLY)
    def anchor_status(ctx: Context, tree_size: OptionalSize = None) -> AnchorStatus:
        """Where this merchant's signed checkpoints stand with the external anchor: counts per state
        (pending, submitted, confirmed = final, failed), the largest confirmed tree size, the oldest
        unconfirmed checkpoint's creation time (UTC), the witness's latest size, and one checkpoint
        (tree_size, or the newest) with its anchor reference.
        """
        deps, who = require(ctx)
        return safe(deps.ops.anchor_status(who.merchant_id, tree_size))
