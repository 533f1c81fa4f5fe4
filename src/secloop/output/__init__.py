"""Report formats (table, JSON, SARIF 2.1.0, JUnit XML, HTML)."""
