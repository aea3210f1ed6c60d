"""Contract suites that test ANY deployment of Invoca's APIs, real or sandbox, over HTTP only.

This package never imports ``simulator`` or ``mock_server`` (tests/test_architecture.py).
"""
