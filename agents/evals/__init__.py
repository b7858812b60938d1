"""Measuring Owl's answers (``canary bench agents``).

- ``world``: the evaluated world — a simulated merchant replayed through the whole pipeline, and the
  ids the questions are about (the biggest customer, the busiest rule), picked from its tables;
- ``truth``: what each answer must contain, read from the tables directly (not through the services
  the MCP tools call), so a tool that reports a wrong figure fails the case;
- ``cases``: the evaluation set, one case per question from the product's Owl stories, each with the
  tool calls an answer needs and the facts it must contain;
- ``player``: the scripted model used when no model is configured: it makes each case's calls and
  writes an answer from their results (never from the truth), so the harness runs end to end;
- ``run``: runs the set with a model, grades every answer, and sums up the figures.
"""
