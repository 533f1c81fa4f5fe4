"""The kubernetes checks build their findings with fingerprints (one stream holds every
finding of a base): the shortcut must give exactly what ``assign_fingerprints`` gives."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from secloop.core.finding import Finding
from secloop.core.fingerprint import assign_fingerprints
from secloop.scan.misconfig.documents import parse_stream
from secloop.scan.misconfig.kubernetes.evaluate import evaluate_stream

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "misconfig"


def test_built_in_fingerprints_equal_the_engine_s_on_every_fixture() -> None:
    compared = 0
    for manifest in sorted(FIXTURES.glob("**/*.yaml")):
        path = manifest.relative_to(FIXTURES).as_posix()
        stream = parse_stream(manifest.read_text(encoding="utf-8"), json_syntax=False)
        built = [
            f for f in evaluate_stream(stream, path, fingerprints=True) if isinstance(f, Finding)
        ]
        plain = [f for f in evaluate_stream(stream, path) if isinstance(f, Finding)]
        assert all(f.fingerprint for f in built), path
        assert [f.fingerprint for f in built] == [
            f.fingerprint for f in assign_fingerprints(replace(f, fingerprint="") for f in plain)
        ], path
        compared += len(built)
    assert compared > 200  # the fixtures hold a few hundred kubernetes findings
