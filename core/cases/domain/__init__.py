"""Fox's pure domain: no database, bus or network (tests/unit/test_layers.py checks)."""
