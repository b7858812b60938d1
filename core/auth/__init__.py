"""Who is calling: API tokens for the MCP servers over HTTP, and the principal they resolve to."""
