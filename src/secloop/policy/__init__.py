"""Policy: suppressions (inline and ignore file), baselines, filters and the CI gate."""
