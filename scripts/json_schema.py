"""Write (or, with --check, verify) docs/schema/scan-result-1.json from the wire model."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from secloop.output.json_wire import SCHEMA_VERSION, ScanResultModel

SCHEMA_PATH = (
    Path(__file__).resolve().parent.parent
    / "docs"
    / "schema"
    / (f"scan-result-{SCHEMA_VERSION}.json")
)


def render_schema() -> str:
    schema = ScanResultModel.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = f"secloop scan result, schema version {SCHEMA_VERSION}"
    return json.dumps(schema, indent=2, sort_keys=True) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true", help="fail if the file is out of date")
    args = parser.parse_args(argv)
    text = render_schema()
    if args.check:
        if not SCHEMA_PATH.is_file() or SCHEMA_PATH.read_text() != text:
            print(f"{SCHEMA_PATH} is out of date: run python scripts/json_schema.py")
            return 1
        return 0
    SCHEMA_PATH.parent.mkdir(parents=True, exist_ok=True)
    SCHEMA_PATH.write_text(text)
    print(f"wrote {SCHEMA_PATH}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
