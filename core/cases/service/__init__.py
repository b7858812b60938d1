"""Fox's shell: the ``fox`` consumer of ``canary:alerts`` (``consumer.py``), the case service the
MCP server and the CLI call, and their storage. The pure rules live in core/cases/domain."""
