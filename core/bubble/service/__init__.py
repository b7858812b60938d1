"""Bubble's shell: the ``bubble`` consumer and its tables (``observations``), scoring the stored
device-hours on a schedule and the queries behind canary-bubble. The model itself is the pure code in
``core/bubble/*.py``."""
