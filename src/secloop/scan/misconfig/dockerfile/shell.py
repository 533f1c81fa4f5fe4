"""Just enough shell reading for RUN checks: split a command line into simple commands.

Checks ask "is there an ``apt-get install`` without ``--no-install-recommends``", which
needs the words of each simple command, not a full shell grammar. Quoted strings stay
one word; ``&&``, ``||``, ``;``, ``|``, ``&`` and newlines separate commands; words that
look like environment assignments (``DEBIAN_FRONTEND=noninteractive apt-get``) and
``sudo``/``env`` prefixes are kept so that checks can see them but can ask for the
real program with :func:`program`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

__all__ = ["Command", "commands", "program"]

_SEPARATORS = frozenset({"&&", "||", ";", "|", "&", ";;", "(", ")", "|&"})
_TOKEN = re.compile(
    r"""(?:[^\s'"\\;&|()]|\\.|'[^']*'?|"(?:\\.|[^"\\])*"?)+|&&|\|\||;;|\|&|[;&|()]"""
)
_QUOTES = re.compile(r"""'([^']*)'?|"((?:\\.|[^"\\])*)"?|\\(.)""")
_WRAPPERS = frozenset({"sudo", "env", "command", "exec", "nohup", "time", "xargs"})


@dataclass(frozen=True, slots=True)
class Command:
    """One simple command; ``piped_from`` is true when its input is the previous command's.

    ``name`` and ``args`` (what :func:`program` returns) are resolved once here: every
    RUN check asks for them, and resolving them per check was a third of scan time.
    """

    words: tuple[str, ...]
    piped_from: bool = False
    name: str = field(init=False, compare=False, repr=False)
    args: tuple[str, ...] = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        name, args = _resolve(self.words)
        object.__setattr__(self, "name", name)  # frozen: set once, at construction
        object.__setattr__(self, "args", args)


def _unquote(word: str) -> str:
    if "'" not in word and '"' not in word and "\\" not in word:
        return word
    return _QUOTES.sub(lambda m: m.group(1) or m.group(2) or m.group(3) or "", word)


def _tokens(line: str) -> list[str]:
    """Raw words and operators in one regex pass (shlex is ~20x slower on long RUN lines)."""
    return _TOKEN.findall(line)


def commands(text: str) -> list[Command]:
    """The simple commands of a shell text (RUN arguments plus heredoc bodies)."""
    found: list[Command] = []
    for line in text.splitlines() or [text]:
        words: list[str] = []
        piped = False
        for token in _tokens(line):
            if token in _SEPARATORS:  # tested raw, so an escaped ``\;`` stays a word
                if words:
                    found.append(Command(tuple(words), piped))
                words, piped = [], token in {"|", "|&"}
                continue
            words.append(_unquote(token))
        if words:
            found.append(Command(tuple(words), piped))
    return found


def program(command: Command) -> tuple[str, tuple[str, ...]]:
    """The program a command runs and its arguments, past assignments and wrappers."""
    return command.name, command.args


def _resolve(original: tuple[str, ...]) -> tuple[str, tuple[str, ...]]:
    words = list(original)
    while words and (("=" in words[0] and not words[0].startswith("-")) or words[0] in _WRAPPERS):
        words.pop(0)
        while words and words[0].startswith("-") and original[0] in _WRAPPERS:
            words.pop(0)
    if not words:
        return "", ()
    name = words[0].rsplit("/", 1)[-1]
    return name, tuple(words[1:])
