"""A Dockerfile parser that keeps line numbers, written from the Dockerfile reference.

https://docs.docker.com/reference/dockerfile/ — the steps, in order:

1. Parser directives (``# escape=``, ``# syntax=``) are read only before the first
   instruction, comment or blank line; ``escape`` changes the continuation character.
2. A line ending in the escape character continues on the next line; comment lines and
   empty lines inside a continuation are dropped (as BuildKit does).
3. ``RUN``/``COPY``/``ADD`` may open heredocs (``<<EOF``, ``<<-EOF``, quoted words); their
   bodies are the following lines up to the terminator, and belong to the instruction.
4. Arguments in JSON array form (exec form) are decoded; otherwise they stay shell form.
5. Leading ``--flag=value`` options are split off (``COPY --from``, ``RUN --mount``).
6. ``FROM`` starts a stage; ``ARG`` before the first ``FROM`` is global and only usable in
   ``FROM`` lines. :func:`substitute` expands ``$VAR``/``${VAR}``/``${VAR:-x}``/``${VAR:+x}``.

The parser never fails on content: unknown instructions are kept (a fragment without
FROM is still parsed), since a linter must report on broken files, not refuse them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace

from secloop.scan.misconfig.dockerfile.shell import Command, commands

__all__ = ["Dockerfile", "Instruction", "Stage", "parse_dockerfile", "substitute"]

_DIRECTIVE = re.compile(r"^#\s*([a-zA-Z][a-zA-Z0-9_-]*)\s*=\s*(.*?)\s*$")
_HEREDOC = re.compile(r"<<(-?)\s*([\"']?)([A-Za-z_][A-Za-z0-9_]*)\2")
_FLAG = re.compile(r"^--([a-zA-Z][a-zA-Z0-9-]*)(?:=(\S*))?(?:\s+|$)")
_VARIABLE = re.compile(
    r"\$(?:\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-+])([^}]*))?\}|([A-Za-z_][A-Za-z0-9_]*))"
)
_HEREDOC_KEYWORDS = frozenset({"RUN", "COPY", "ADD"})


@dataclass(frozen=True, slots=True, kw_only=True)
class Instruction:
    """One instruction; ``arguments`` is the text after the keyword and flags, joined."""

    keyword: str
    arguments: str
    start_line: int
    end_line: int
    flags: Mapping[str, str] = field(default_factory=dict)
    exec_form: tuple[str, ...] | None = None
    heredocs: tuple[str, ...] = ()
    stage: int = -1  # -1: before the first FROM
    onbuild: bool = False
    #: The simple commands of a RUN, split once here (every RUN check reads them).
    commands: tuple[Command, ...] = ()

    @property
    def text(self) -> str:
        """Shell text of the instruction: exec form joined, heredoc bodies appended."""
        body = " ".join(self.exec_form) if self.exec_form is not None else self.arguments
        return "\n".join((body, *self.heredocs)) if self.heredocs else body


@dataclass(frozen=True, slots=True, kw_only=True)
class Stage:
    index: int
    image: str
    alias: str | None
    from_instruction: Instruction
    instructions: tuple[Instruction, ...]

    @property
    def label(self) -> str:
        return self.alias or str(self.index)


@dataclass(frozen=True, slots=True, kw_only=True)
class Dockerfile:
    instructions: tuple[Instruction, ...]
    stages: tuple[Stage, ...]
    global_args: Mapping[str, str]
    escape: str = "\\"

    @property
    def final_stage(self) -> Stage | None:
        return self.stages[-1] if self.stages else None


def substitute(text: str, variables: Mapping[str, str]) -> str:
    """Expand ``$VAR``, ``${VAR}``, ``${VAR:-default}`` and ``${VAR:+alternative}``."""
    if "$" not in text:
        return text

    def expand(match: re.Match[str]) -> str:
        name = match.group(1) or match.group(4)
        value = variables.get(name, "")
        operator, word = match.group(2), match.group(3) or ""
        if operator and operator.endswith("-"):
            return value or word
        if operator and operator.endswith("+"):
            return word if value else ""
        return value

    return _VARIABLE.sub(expand, text)


@dataclass(slots=True)
class _Reader:
    """Step-by-step state over the file's lines (1-based line numbers)."""

    lines: list[str]
    escape: str = "\\"
    position: int = 0

    def next_line(self) -> tuple[int, str] | None:
        if self.position >= len(self.lines):
            return None
        self.position += 1
        return self.position, self.lines[self.position - 1]


def _read_directives(reader: _Reader) -> None:
    """Step (1): directives sit at the very top, before anything else."""
    while reader.position < len(reader.lines):
        match = _DIRECTIVE.match(reader.lines[reader.position].strip())
        if match is None:
            return
        if match.group(1).lower() == "escape" and match.group(2) in {"\\", "`"}:
            reader.escape = match.group(2)
        reader.position += 1


def _is_comment_or_blank(line: str) -> bool:
    stripped = line.strip()
    return not stripped or stripped.startswith("#")


def _logical_line(reader: _Reader, first: str) -> tuple[str, int]:
    """Step (2): join continuation lines; returns the text and the last line number."""
    parts: list[str] = []
    line, end = first, reader.position
    while True:
        stripped = line.rstrip()
        if not stripped.endswith(reader.escape):
            parts.append(line.strip())
            return " ".join(p for p in parts if p), end
        parts.append(stripped[:-1].strip())
        following = reader.next_line()
        while following is not None and _is_comment_or_blank(following[1]):
            following = reader.next_line()
        if following is None:
            return " ".join(p for p in parts if p), end
        end, line = following


def _read_heredocs(reader: _Reader, text: str) -> tuple[tuple[str, ...], int]:
    """Step (3): the bodies of the heredocs the line opens, in order."""
    bodies: list[str] = []
    end = reader.position
    for match in _HEREDOC.finditer(text):
        strip_tabs, word = match.group(1) == "-", match.group(3)
        body: list[str] = []
        while (item := reader.next_line()) is not None:
            end, line = item
            candidate = line.lstrip("\t") if strip_tabs else line
            if candidate.rstrip() == word:
                break
            body.append(candidate)
        bodies.append("\n".join(body))
    return tuple(bodies), end


def _split_flags(rest: str) -> tuple[dict[str, str], str]:
    """Step (5): leading ``--name=value`` options."""
    flags: dict[str, str] = {}
    while (match := _FLAG.match(rest.lstrip("\\ \t"))) is not None:
        rest = rest.lstrip("\\ \t")
        name, value = match.group(1).lower(), match.group(2) or ""
        flags[name] = f"{flags[name]} {value}" if name in flags else value  # repeated --mount
        rest = rest[match.end() :]
    return flags, rest


def _exec_form(rest: str) -> tuple[str, ...] | None:
    """Step (4): a JSON array of strings, else None (shell form)."""
    stripped = rest.strip()
    if not stripped.startswith("["):
        return None
    try:
        value = json.loads(stripped)
    except ValueError:
        return None
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(value)
    return None


def _instruction(text: str, start: int, end: int, heredocs: tuple[str, ...]) -> Instruction:
    keyword, _, rest = text.partition(" ")
    keyword = keyword.upper()
    onbuild = False
    if keyword == "ONBUILD" and rest.strip():
        onbuild = True
        keyword, _, rest = rest.strip().partition(" ")
        keyword = keyword.upper()
    flags, rest = _split_flags(rest.strip())
    exec_form = _exec_form(rest) if keyword not in {"ARG", "ENV", "LABEL"} else None
    return Instruction(
        keyword=keyword,
        arguments=rest.strip(),
        start_line=start,
        end_line=end,
        flags=flags,
        exec_form=exec_form,
        heredocs=heredocs,
        onbuild=onbuild,
        commands=_run_commands(rest.strip(), exec_form, heredocs) if keyword == "RUN" else (),
    )


def _run_commands(
    arguments: str, exec_form: tuple[str, ...] | None, heredocs: tuple[str, ...]
) -> tuple[Command, ...]:
    """A RUN's simple commands: exec form (``sh -c`` unwrapped) or shell text plus heredocs."""
    if exec_form is not None:
        shell = exec_form[0].rsplit("/", 1)[-1] if exec_form else ""
        if len(exec_form) >= 3 and shell in {"sh", "bash"} and exec_form[1] == "-c":
            return tuple(commands(exec_form[2]))
        return (Command(exec_form),)
    return tuple(commands("\n".join((arguments, *heredocs))))


def _instructions(reader: _Reader) -> Iterator[Instruction]:
    while (item := reader.next_line()) is not None:
        start, line = item
        if _is_comment_or_blank(line):
            continue
        text, end = _logical_line(reader, line)
        heredocs: tuple[str, ...] = ()
        keyword = text.partition(" ")[0].upper()
        if keyword in _HEREDOC_KEYWORDS and "<<" in text:
            heredocs, heredoc_end = _read_heredocs(reader, text)
            end = max(end, heredoc_end)
        if text:
            yield _instruction(text, start, end, heredocs)


def _parse_arg(arguments: str) -> tuple[str, str]:
    name, _, default = arguments.partition("=")
    return name.strip(), default.strip().strip("\"'")


def _stages(instructions: list[Instruction], global_args: dict[str, str]) -> list[Stage]:
    """Step (6): assign instructions to stages; resolve each FROM with the global ARGs."""
    stages: list[Stage] = []
    current: list[Instruction] = []
    header: Instruction | None = None
    for index, instruction in enumerate(instructions):
        if instruction.keyword == "FROM" and not instruction.onbuild:
            if header is not None:
                stages.append(_stage(len(stages), header, current, global_args))
            header, current = instruction, []
        elif header is None and instruction.keyword == "ARG":
            name, default = _parse_arg(instruction.arguments)
            global_args[name] = default
        instructions[index] = _with_stage(instruction, len(stages) if header else -1)
        if header is not None and instruction is not header:
            current.append(instructions[index])
    if header is not None:
        stages.append(_stage(len(stages), header, current, global_args))
    return stages


def _with_stage(instruction: Instruction, stage: int) -> Instruction:
    return replace(instruction, stage=stage)


def _stage(
    index: int, header: Instruction, body: list[Instruction], global_args: Mapping[str, str]
) -> Stage:
    words = header.arguments.split()
    image = substitute(words[0], global_args) if words else ""
    alias = words[2] if len(words) >= 3 and words[1].lower() == "as" else None
    return Stage(
        index=index,
        image=image,
        alias=alias,
        from_instruction=_with_stage(header, index),
        instructions=tuple(body),
    )


def parse_dockerfile(text: str) -> Dockerfile:
    """Parse a Dockerfile; never raises on content (see the module docstring)."""
    reader = _Reader(lines=text.splitlines())
    _read_directives(reader)
    instructions = list(_instructions(reader))
    global_args: dict[str, str] = {}
    stages = _stages(instructions, global_args)
    return Dockerfile(
        instructions=tuple(instructions),
        stages=tuple(stages),
        global_args=global_args,
        escape=reader.escape,
    )
