"""The Dockerfile parser (continuations, directives, heredocs, forms, stages) and lines."""

from __future__ import annotations

from secloop.scan.misconfig.dockerfile.parser import parse_dockerfile, substitute
from secloop.scan.misconfig.dockerfile.shell import commands, program
from secloop.scan.misconfig.scanner import is_dockerfile
from tests.unit.misconfig.helpers import scan_docker


def test_continuations_comments_and_lines() -> None:
    text = (
        "FROM debian:12\nRUN apt-get update \\\n  # note\n\n"
        "  && apt-get install -y curl\nUSER app\n"
    )
    run = parse_dockerfile(text).instructions[1]
    assert run.arguments == "apt-get update && apt-get install -y curl"
    assert (run.start_line, run.end_line) == (2, 5)


def test_escape_directive_changes_continuation() -> None:
    text = "# escape=`\nFROM mcr.microsoft.com/windows/servercore:ltsc2022\nRUN dir `\n  C:\\\n"
    dockerfile = parse_dockerfile(text)
    assert dockerfile.escape == "`"
    assert dockerfile.instructions[1].arguments == "dir C:\\"


def test_heredoc_body_belongs_to_the_instruction() -> None:
    text = "FROM alpine:3.20\nRUN <<EOF\nsudo apk add curl\nEOF\nUSER app\n"
    dockerfile = parse_dockerfile(text)
    run = dockerfile.instructions[1]
    assert run.heredocs == ("sudo apk add curl",)
    assert (run.start_line, run.end_line) == (2, 4)
    assert dockerfile.instructions[2].keyword == "USER"
    assert any(f.rule_id == "SL-DF-018" for f in scan_docker(text))


def test_exec_form_flags_and_stages() -> None:
    text = (
        "ARG BASE=golang:1.22\nFROM ${BASE} AS build\nRUN --mount=type=cache,target=/root/.cache"
        ' ["go", "build"]\nFROM gcr.io/distroless/static:nonroot\nCOPY --from=build /app /app\n'
    )
    dockerfile = parse_dockerfile(text)
    assert [s.image for s in dockerfile.stages] == [
        "golang:1.22",
        "gcr.io/distroless/static:nonroot",
    ]
    assert dockerfile.stages[0].alias == "build"
    run = dockerfile.instructions[2]
    assert run.exec_form == ("go", "build")
    assert run.flags["mount"] == "type=cache,target=/root/.cache"
    assert dockerfile.instructions[4].flags == {"from": "build"}


def test_substitute_forms() -> None:
    variables = {"SET": "v"}
    assert (
        substitute("${SET}-$SET-${UNSET:-d}-${SET:+alt}-${UNSET:+alt}", variables) == "v-v-d-alt-"
    )


def test_shell_splitting() -> None:
    found = commands(
        "DEBIAN_FRONTEND=x sudo apt-get install -y 'a b' && curl -s u | sh; find . -exec rm {} \\;"
    )
    assert program(found[0]) == ("apt-get", ("install", "-y", "a b"))
    assert found[2].words == ("sh",)
    assert found[2].piped_from
    assert found[3].words[-1] == ";"


def test_finding_lines_and_anchor() -> None:
    text = "FROM debian:12\n\nRUN sudo \\\n  make\nUSER app\n"
    [finding] = [f for f in scan_docker(text) if f.rule_id == "SL-DF-018"]
    assert (finding.location.start_line, finding.location.end_line) == (3, 4)
    assert finding.anchor == "stage:0/RUN sudo make"


def test_fragment_without_from_still_parses() -> None:
    assert any(f.rule_id == "SL-DF-018" for f in scan_docker("RUN sudo ls\n"))


def test_dockerfile_names() -> None:
    for name in ("Dockerfile", "app.Dockerfile", "Dockerfile.alpine", "Containerfile"):
        assert is_dockerfile(name)
    for name in ("Dockerfile.md", "dockerfile.yaml", "Makefile"):
        assert not is_dockerfile(name)
