"""Roles, scopes and the principal a request acts as (pure).

A token maps to one merchant, one role and a set of scopes. Roles name who the person is (the
five docs/design.md lists); scopes say what the token may do, and tools check scopes, never roles. A role
only supplies the default scopes of a new token.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

ROLES = ("analyst", "operator", "gm", "exec", "ops")

# The scope vocabulary every server uses: `read` for read tools, `<area>:write` for writing ones.
SCOPES: dict[str, str] = {
    "read": "read tools of every server (customers, rules, cases, baselines, pipeline status)",
    "rules:write": "tune, allow-list, promote and pin Chirp rules",
    "cases:write": "work Fox cases: investigate, note, attach, resolve, dismiss, reopen",
    "pipeline:write": "operate the pipeline: replay events",
}

DEFAULT_SCOPES: dict[str, tuple[str, ...]] = {
    # Operators tune the rules; analysts investigate what the rules find.
    "analyst": ("read", "cases:write"),
    "operator": ("read", "rules:write", "cases:write"),
    "gm": ("read",),
    "exec": ("read",),
    "ops": ("read", "pipeline:write"),
}

Transport = Literal["http", "stdio", "memory"]


class InvalidGrantError(ValueError):
    """A role or scope that does not exist; the message lists the valid ones."""


def check_role(role: str) -> str:
    if role not in ROLES:
        raise InvalidGrantError(f"unknown role {role!r}: choose one of {', '.join(ROLES)}")
    return role


def check_scopes(scopes: Iterable[str]) -> frozenset[str]:
    chosen = frozenset(scopes)
    unknown = sorted(chosen - SCOPES.keys())
    if unknown:
        raise InvalidGrantError(f"unknown scope(s) {', '.join(unknown)}: choose from {', '.join(SCOPES)}")
    if not chosen:
        raise InvalidGrantError("a token needs at least one scope")
    return chosen


@dataclass(frozen=True)
class Principal:
    merchant_id: str
    role: str
    scopes: frozenset[str]
    transport: Transport
    token_id: str | None = None
    # The stores (canonical location ids, e.g. ``sq:location:L1``) a token is limited to, as a GM's
    # is to theirs; None: every store of the merchant. Cases and detections of other stores are
    # "not found" to it (docs/console.md, "Who sees and does what").
    stores: frozenset[str] | None = None

    def allows(self, scope: str) -> bool:
        return scope in self.scopes


def store_filter(stores: frozenset[str] | None, location_id: str | None) -> frozenset[str] | None:
    """The stores a read may return: a caller's own filter (``location_id``) narrowed to the ones its
    token may see; None when neither limits it. A store outside the token's gives the empty set."""
    if stores is None:
        return None if location_id is None else frozenset({location_id})
    return stores if location_id is None else stores & {location_id}


def check_stores(stores: Iterable[str]) -> frozenset[str] | None:
    """A token's store list as given (canonical location ids); None for "every store"."""
    chosen = frozenset(s.strip() for s in stores if s.strip())
    bad = sorted(s for s in chosen if len(s) > 160 or " " in s)
    if bad:
        raise InvalidGrantError(f"not a store id: {bad[0][:60]!r} (e.g. sq:location:L1, cp:location:20)")
    return chosen or None


def local_principal(merchant_id: str, transport: Transport = "stdio") -> Principal:
    """Over stdio the caller already holds the database credentials, so every scope is granted;
    ``--read-only`` is what limits a local server."""
    return Principal(merchant_id=merchant_id, role="ops", scopes=frozenset(SCOPES), transport=transport)
