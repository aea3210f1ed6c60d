"""The HTTP face of the sandbox: a thin Flask adapter over ``simulator`` bound to the contract.

Handlers read input, make one platform call and render the result; every business rule
lives in ``simulator``. Routes come from ``openapi/invoca.yaml`` by ``operationId``.
"""
