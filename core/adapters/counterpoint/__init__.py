"""NCR Counterpoint adapter: parse raw units (parser.parse), and the pure halves of the three ways
in — REST polling (client, polling), merchant-side pushes (push) and batch files (batch).
The unit layouts and every field reading, with its evidence, are in docs/counterpoint.md."""
