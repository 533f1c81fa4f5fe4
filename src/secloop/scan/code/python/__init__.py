"""secloop's own Python code analysis: an ``ast`` walk, constant folding and taint."""
