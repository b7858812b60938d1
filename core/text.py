"""What kind of text a result field holds, declared on its type.

Every string a tool returns is cleaned on its way to a model (``servers/common/sanitise.py``: control
characters, terminal escapes and invisible characters removed, length bounded) unless its type says
it must pass verbatim. Two kinds do:

- ``Id``: an id or cursor a caller passes back to a tool; cleaning it could break the round trip.
- ``OurText``: text Canary wrote itself (a rule's definition, a readiness reason); it may be longer
  than the bound for untrusted text and holds nothing a till or a customer typed.

A plain ``str`` field is therefore cleaned: a new text field cannot slip past the sanitiser.

``money`` writes an amount for people to read (summaries, prose); data fields stay integer cents.
"""

from __future__ import annotations

from typing import Annotated

SYMBOLS = {"USD": "$", "CAD": "CA$", "AUD": "A$", "GBP": "£", "EUR": "€"}
NO_MINOR_UNIT = frozenset({"JPY", "KRW", "CLP", "VND", "ISK"})  # ISO 4217 exponent 0: the amount is whole


class Verbatim:
    """``Annotated`` metadata: the sanitiser leaves this field as it is."""

    def __init__(self, why: str) -> None:
        self.why = why

    def __repr__(self) -> str:
        return f"Verbatim({self.why!r})"


ID = Verbatim("an id a caller passes back")
OURS = Verbatim("text Canary wrote")

Id = Annotated[str, ID]
OurText = Annotated[str, OURS]


def money(cents: float, currency: str = "USD") -> str:
    """Minor units as a reader writes them: ``money(51648)`` is ``"$516.48"``, ``money(-50)`` is
    ``"-$0.50"``, a currency without a symbol here is ``"1,234.50 CHF"``, one with no minor unit
    ``"1,500 JPY"``. A fractional amount (an average) is rounded to the minor unit first."""
    whole = round(cents)
    sign = "-" if whole < 0 else ""
    code = currency.upper()
    units, minor = (abs(whole), None) if code in NO_MINOR_UNIT else divmod(abs(whole), 100)
    amount = f"{units:,}" if minor is None else f"{units:,}.{minor:02d}"
    symbol = SYMBOLS.get(code)
    return f"{sign}{symbol}{amount}" if symbol else f"{sign}{amount} {code}"
