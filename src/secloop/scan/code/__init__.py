"""Code scanning (SAST): secloop's own Python analysis; Bandit and Semgrep adapters later (#9)."""
