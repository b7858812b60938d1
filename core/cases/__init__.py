"""Fox: the detection lifecycle. Alerts from ``canary:alerts`` become cases (bundled, escalated,
routed to a queue), which analysts investigate and close with an outcome (docs/cases.md).

``domain/`` is pure (bundling, escalation, queues, the case state machine, outcome statistics, the
digest); the modules beside it are the shell: storage, the ``fox`` consumer and the service behind
canary-fox.
"""
