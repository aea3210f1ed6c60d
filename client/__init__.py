"""Clients of a running sandbox over HTTP (the ``simulate --against`` driver and its command).

One-way: ``client -> simulator`` (the scenario runner) and HTTP; nothing of simulator/ or
mock_server/ imports this package, except the command registry ``mock_server/cli.py`` (the
composition root), which dispatches to it by module name.
"""
