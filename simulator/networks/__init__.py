"""Example scenarios for ``invoca-sandbox simulate`` (TOML files; ``simulate --list``)."""
