"""The scan pipeline and its plugins: openers, analyzers, scanners."""
