"""The typed syntax tree of a condition.

Offsets are 0-based positions in the condition text the node came from, so a
compile error can point at file, line and column. After macro expansion a
:class:`Macro` node keeps the name of the macro it replaced: messages can then say
"in macro 'kevt'", and the tree stays a faithful picture of what was written.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

__all__ = [
    "And",
    "Compare",
    "FieldRef",
    "ListLiteral",
    "Literal",
    "Macro",
    "MacroRef",
    "Node",
    "Not",
    "Op",
    "Or",
    "Transformer",
    "Value",
]


class Op(Enum):
    """Every comparison operator of Falco's condition language."""

    EQ = "="
    NE = "!="
    LT = "<"
    LE = "<="
    GT = ">"
    GE = ">="
    CONTAINS = "contains"
    ICONTAINS = "icontains"
    BCONTAINS = "bcontains"
    STARTSWITH = "startswith"
    BSTARTSWITH = "bstartswith"
    ENDSWITH = "endswith"
    GLOB = "glob"
    IGLOB = "iglob"
    PMATCH = "pmatch"
    REGEX = "regex"
    IN = "in"
    INTERSECTS = "intersects"
    EXISTS = "exists"

    @classmethod
    def parse(cls, text: str) -> Op | None:
        if text == "==":
            return cls.EQ
        try:
            return cls(text)
        except ValueError:
            return None

    @property
    def takes_list(self) -> bool:
        return self in (Op.IN, Op.INTERSECTS, Op.PMATCH)


class Transformer(Enum):
    """Field transformers; ``val`` is only valid on the right-hand side."""

    TOLOWER = "tolower"
    TOUPPER = "toupper"
    B64 = "b64"
    BASENAME = "basename"
    LEN = "len"
    VAL = "val"


@dataclass(frozen=True, slots=True)
class FieldRef:
    """``name[arg]`` with transformers applied innermost first: ``tolower(basename(f))``."""

    name: str
    arg: str | None
    offset: int
    transformers: tuple[Transformer, ...] = ()

    def render(self) -> str:
        text = self.name if self.arg is None else f"{self.name}[{self.arg}]"
        for transformer in self.transformers:
            text = f"{transformer.value}({text})"
        return text


@dataclass(frozen=True, slots=True)
class Literal:
    text: str
    offset: int
    quoted: bool = False


@dataclass(frozen=True, slots=True)
class ListLiteral:
    items: tuple[Literal, ...]
    offset: int


Value = Literal | ListLiteral | FieldRef


@dataclass(frozen=True, slots=True)
class Compare:
    lhs: FieldRef
    op: Op
    rhs: Value | None
    offset: int


@dataclass(frozen=True, slots=True)
class MacroRef:
    name: str
    offset: int


@dataclass(frozen=True, slots=True)
class Macro:
    """A macro reference after expansion: the macro's own tree under its name."""

    name: str
    body: Node
    offset: int


@dataclass(frozen=True, slots=True)
class And:
    children: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Or:
    children: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Not:
    child: Node
    offset: int


Node = And | Or | Not | Compare | MacroRef | Macro
