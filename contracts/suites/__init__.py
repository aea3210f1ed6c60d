"""The pytest modules that the plugin and ``invoca-sandbox contract`` run."""
