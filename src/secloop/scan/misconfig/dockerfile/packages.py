"""Reading package-manager command lines: which packages, which flags, pinned or not.

Each manager's grammar differs in which options take a value (``apk add --virtual
NAME``, ``pip install -r FILE``); mistaking a value for a package would report a
requirements file as unpinned. These helpers split a command's arguments into the
subcommand, its flags and its package words once, for every pinning and cleanup check.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from secloop.scan.misconfig.dockerfile.shell import Command, program

__all__ = ["Invocation", "invocation", "is_pip", "pip_invocation"]

_PIP = re.compile(r"pip([23](\.\d+)?)?")


@dataclass(frozen=True, slots=True)
class Invocation:
    """``manager [flags] subcommand [flags] packages``, flags and packages separated."""

    manager: str
    subcommand: str
    flags: tuple[str, ...]
    packages: tuple[str, ...]


def _split(args: Iterable[str], valued: frozenset[str]) -> tuple[list[str], list[str]]:
    flags: list[str] = []
    words: list[str] = []
    expect_value = False
    for arg in args:
        if expect_value:
            expect_value = False
            continue
        if arg.startswith("-") and arg != "-":
            flags.append(arg)
            expect_value = arg in valued
        else:
            words.append(arg)
    return flags, words


def invocation(
    command: Command, manager: str, subcommands: frozenset[str], valued: frozenset[str]
) -> Invocation | None:
    """The invocation when ``command`` runs ``manager`` with one of ``subcommands``."""
    name, args = program(command)
    if name != manager:
        return None
    flags, words = _split(args, valued)
    if not words or words[0] not in subcommands:
        return None
    packages = tuple(w for w in words[1:] if not w.startswith("$"))
    return Invocation(manager, words[0], tuple(flags), packages)


def is_pip(name: str) -> bool:
    return _PIP.fullmatch(name) is not None


def pip_invocation(command: Command, valued: frozenset[str]) -> Invocation | None:
    """``pip install`` however spelt: pip, pip3, pip3.12, ``python -m pip``, ``pipx``."""
    name, args = program(command)
    if re.fullmatch(r"python([23](\.\d+)?)?", name) and args[:2] == ("-m", "pip"):
        name, args = "pip", args[2:]
    if not is_pip(name) and name != "pipx":
        return None
    flags, words = _split(args, valued)
    if not words or words[0] != "install":
        return None
    return Invocation(name, "install", tuple(flags), tuple(words[1:]))
