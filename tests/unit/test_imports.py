"""``import secloop.cli`` stays light: the heavy stacks load only when a verb needs them."""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = (
    "rich",
    "jinja2",
    "pydantic",
    "yaml",
    "pathspec",
    "ahocorasick",
    "sqlalchemy",
    "fastapi",
    "celery",
    "secloop.scan",
    "secloop.output.sarif",
    "secloop.output.html",
)


def _modules_after(statement: str) -> set[str]:
    code = f"import sys; {statement}; import json; print(json.dumps(sorted(sys.modules)))"
    completed = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    return set(json.loads(completed.stdout))


def test_importing_the_cli_loads_no_heavy_stack() -> None:
    loaded = _modules_after("import secloop.cli")
    assert "click" in loaded
    assert not {m for m in loaded for heavy in HEAVY if m == heavy or m.startswith(heavy + ".")}


def test_python_dash_m_entry_point_runs() -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "secloop", "version"], capture_output=True, text=True, check=True
    )
    assert completed.stdout.startswith("secloop ")
