"""Contract suites that test ANY deployment of Invoca's APIs, real or sandbox, over HTTP only.

This package never imports ``simulator`` or ``mock_server`` (tests/test_architecture.py).

Three ways to run them:

1. The CLI (all nine suites, a summary with curl reproductions, exit 0 only when nothing
   failed)::

       invoca-sandbox contract --base-url http://127.0.0.1:8080 --profile ci [--junit-xml F]

2. As a pytest plugin, in a team's own test run::

       pytest -p contracts.plugin --base-url http://127.0.0.1:8080 \\
           "$(python -c 'import contracts.plugin as p; print(p.SUITES)')"

3. Plain schemathesis, with our deserializers and checks added by the hooks module::

       SCHEMATHESIS_HOOKS=contracts.hooks schemathesis run openapi/invoca.yaml \\
           --url http://127.0.0.1:8080 -H "Authorization: $TOKEN"

Against a real network add ``--token``/``--basic``, ``--network-id``, ``--ring-pool ID:KEY``
and ``--read-only``: suites that need the sandbox's control API (reset, clock, calls, faults)
are skipped with the reason printed.

Modules: :mod:`~contracts.target` (base URL, credentials, capability probing),
:mod:`~contracts.conformance` (schemathesis over every operation, stateful phase, known
sandbox deviations), :mod:`~contracts.deserializers` (XML/CSV/text), :mod:`~contracts.checks`
(our checks), :mod:`~contracts.allocation` (the RingPool state machine),
:mod:`~contracts.calls` (a live call's link to its transaction and transcript),
:mod:`~contracts.errors` (error shapes), :mod:`~contracts.idempotency` (writes and versions),
:mod:`~contracts.docs_walk` and :mod:`~contracts.docs_shapes` (every example request of Invoca's
documents, sent as written: status and body shape), :mod:`~contracts.bounds` (hostile input:
never a 5xx, a refusal changes nothing),
:mod:`~contracts.profile`, :mod:`~contracts.report`, :mod:`~contracts.plugin`,
:mod:`~contracts.hooks`, :mod:`~contracts.cli`; the pytest modules live in ``suites/``.
"""
