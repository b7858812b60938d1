"""What kind of text a result field holds, declared on its type.

Every string a tool returns is cleaned on its way to a model (``servers/common/sanitise.py``: control
characters, terminal escapes and invisible characters removed, length bounded) unless its type says
it must pass verbatim. Two kinds do:

- ``Id``: an id or cursor a caller passes back to a tool; cleaning it could break the round trip.
- ``OurText``: text Canary wrote itself (a rule's definition, a readiness reason); it may be longer
  than the bound for untrusted text and holds nothing a till or a customer typed.

A plain ``str`` field is therefore cleaned: a new text field cannot slip past the sanitiser.
"""

from __future__ import annotations

from typing import Annotated


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
