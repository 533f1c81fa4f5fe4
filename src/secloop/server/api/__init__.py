"""HTTP API of the findings server; ``v1`` is the first stable version."""
