"""Scanner for Falco's condition language.

The language is context-sensitive at the token level: in ``evt.dir = <`` the ``<``
is a value, in ``evt.rawres < 0`` an operator. So the parser asks for what it
expects: an *expression token* (parenthesis, operator, word) or a *value* (a quoted
string or a bare run up to whitespace, comma or parenthesis). Offsets are 0-based
positions in the condition text, kept for error messages.

Quoted strings take single or double quotes and the escapes ``\\"``, ``\\'``,
``\\\\``, ``\\n``, ``\\t``, ``\\r``, ``\\b``, ``\\f`` and ``\\xHH``; any other
backslash is kept as written, so regular expressions such as ``'\\d+'`` survive.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from secloop.runtime.errors import ConditionSyntaxError

__all__ = ["Lexer", "Token", "TokenKind"]

_SYMBOLS = ("==", "!=", "<=", ">=", "=", "<", ">")
_ESCAPES = {'"': '"', "'": "'", "\\": "\\", "n": "\n", "t": "\t", "r": "\r", "b": "\b"}
_ESCAPES["f"] = "\f"
_WORD_STOP = frozenset(" \t\n\r\f\v(),\"'=<>")
_VALUE_STOP = frozenset(" \t\n\r\f\v(),\"'")


class TokenKind(Enum):
    WORD = "word"
    STRING = "string"
    SYMBOL = "symbol"
    LPAREN = "("
    RPAREN = ")"
    COMMA = ","
    EOF = "end of condition"


@dataclass(frozen=True, slots=True)
class Token:
    """One token; ``value`` is the unquoted text of a string, the text itself otherwise."""

    kind: TokenKind
    value: str
    offset: int
    raw: str


class Lexer:
    """On-demand tokeniser over one condition string."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def _skip_ws(self) -> None:
        text, pos = self.text, self.pos
        while pos < len(text) and text[pos].isspace():
            pos += 1
        self.pos = pos

    def peek(self) -> Token:
        """The next expression token, without consuming it."""
        saved = self.pos
        try:
            return self.next()
        finally:
            self.pos = saved

    def next(self) -> Token:
        """The next expression token: a parenthesis, comma, operator symbol, word or string."""
        self._skip_ws()
        text, start = self.text, self.pos
        if start >= len(text):
            return Token(TokenKind.EOF, "", start, "")
        char = text[start]
        single = {"(": TokenKind.LPAREN, ")": TokenKind.RPAREN, ",": TokenKind.COMMA}
        if char in single:
            self.pos += 1
            return Token(single[char], char, start, char)
        for symbol in _SYMBOLS:
            if text.startswith(symbol, start):
                self.pos += len(symbol)
                return Token(TokenKind.SYMBOL, symbol, start, symbol)
        if char in "\"'":
            return self._string()
        return self._word(_WORD_STOP)

    def next_value(self) -> Token:
        """A value after an operator: a string, or a bare run that may hold ``<``, ``=``, ``!``."""
        self._skip_ws()
        start = self.pos
        if start >= len(self.text):
            return Token(TokenKind.EOF, "", start, "")
        char = self.text[start]
        if char in "\"'":
            return self._string()
        if char in "(),":
            return self.next()
        return self._word(_VALUE_STOP)

    def _word(self, stops: frozenset[str]) -> Token:
        text, start = self.text, self.pos
        pos = start
        while pos < len(text):
            char = text[pos]
            if char == "[":  # a field argument runs to its closing bracket: jevt.value[/a b]
                end = text.find("]", pos)
                if end < 0:
                    raise ConditionSyntaxError("unterminated field argument, expecting ']'", pos)
                pos = end + 1
                continue
            if char in stops or (char == "!" and text.startswith("!=", pos)):
                break
            pos += 1
        if pos == start:
            raise ConditionSyntaxError(f"unexpected character {text[start]!r}", start)
        self.pos = pos
        word = text[start:pos]
        return Token(TokenKind.WORD, word, start, word)

    def _string(self) -> Token:
        text, start = self.text, self.pos
        quote = text[start]
        out: list[str] = []
        pos = start + 1
        while pos < len(text):
            char = text[pos]
            if char == quote:
                self.pos = pos + 1
                return Token(TokenKind.STRING, "".join(out), start, text[start : pos + 1])
            if char == "\\" and pos + 1 < len(text):
                consumed, produced = _escape(text, pos)
                out.append(produced)
                pos += consumed
                continue
            out.append(char)
            pos += 1
        raise ConditionSyntaxError(f"unterminated string, expecting {quote}", start)


def _escape(text: str, pos: int) -> tuple[int, str]:
    """(characters consumed, text produced) for the escape at ``text[pos] == '\\\\'``."""
    code = text[pos + 1]
    if code in _ESCAPES:
        return 2, _ESCAPES[code]
    digits = text[pos + 2 : pos + 4]
    if code == "x" and len(digits) == 2 and all(c in "0123456789abcdefABCDEF" for c in digits):
        return 4, chr(int(digits, 16))
    return 2, "\\" + code
