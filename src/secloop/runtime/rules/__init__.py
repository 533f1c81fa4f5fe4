"""Falco's rules language: files, conditions, compilation (see :mod:`.ruleset`)."""
