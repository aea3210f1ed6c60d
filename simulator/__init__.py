"""The Invoca platform model: ring pools, numbers, network entities, calls and transactions.

Rules of this package (tests/test_architecture.py enforces the first one):

1. No I/O, no Flask, no HTTP. The model runs inside a web server, a test, or a 30-day
   offline scenario without knowing which.
2. No wall clock: time comes from a ``Clock`` passed in (``simulator.clock``). No
   module-level ``random``: randomness comes from a seeded ``random.Random`` passed in.
   The same seed and the same commands give the same event log, byte for byte.
3. Commands in, events out: every state change (number allocated, number recycled,
   overflow served, local numbers filled, call attributed) is an event value that callers
   and tests can observe without reading private state.
"""

__version__ = "0.1.0"
