"""``python -m tests.rules_cases > docs/rules.md``: the catalog page, with each rule's cases."""

from core.rules.docgen import render
from tests.rules_cases import catalog

print(render(catalog()), end="")
