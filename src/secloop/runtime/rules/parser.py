"""Recursive-descent parser: condition text to the typed tree of :mod:`.ast`.

Grammar (lowest precedence first), as Falco's libsinsp parser reads it::

    expr    := and ('or' and)*
    and     := not ('and' not)*
    not     := 'not' not | primary
    primary := '(' expr ')' | check | macro
    check   := lhs 'exists'
             | lhs listop '(' [value (',' value)*] ')'       listop: in intersects pmatch
             | lhs op rhs                                   op: = == != < <= > >= contains ...
    lhs     := field | transformer '(' lhs ')'              transformer: tolower toupper b64
    rhs     := value | 'val' '(' field ')' | transformer '(' lhs ')'      basename len
    field   := name ('.' name)+ ['[' argument ']']
    macro   := identifier

Errors raise :class:`ConditionSyntaxError` with the offset of the offending token;
the loader turns it into file:line:column.
"""

from __future__ import annotations

import re

from secloop.runtime.errors import ConditionSyntaxError
from secloop.runtime.rules.ast import (
    And,
    Compare,
    FieldRef,
    ListLiteral,
    Literal,
    MacroRef,
    Node,
    Not,
    Op,
    Or,
    Transformer,
    Value,
)
from secloop.runtime.rules.lexer import Lexer, Token, TokenKind

__all__ = ["parse_condition", "parse_field_text", "parse_list_text", "parse_value_text"]

_FIELD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)+(?:\[([^\]]*)\])?")
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_KEYWORDS = frozenset({"and", "or", "not"})
_LHS_TRANSFORMERS = {t.value: t for t in Transformer if t is not Transformer.VAL}


def parse_condition(text: str) -> Node:
    """The tree of a condition; raises ConditionSyntaxError."""
    return _Parser(text).parse()


def parse_list_text(text: str) -> ListLiteral:
    """A parenthesised value list such as ``(a, "b c")``, as exceptions build them."""
    parser = _Parser(text)
    found = parser.list_value(parser.lexer.next_value())
    parser.expect_end()
    return found


def parse_value_text(text: str) -> Literal:
    """One value, quoted or bare, as exceptions build them."""
    parser = _Parser(text)
    token = parser.lexer.next_value()
    if token.kind not in (TokenKind.STRING, TokenKind.WORD):
        raise ConditionSyntaxError(f"expecting a value, found {token.raw or 'nothing'!r}", 0)
    parser.expect_end()
    return Literal(token.value, token.offset, quoted=token.kind is TokenKind.STRING)


class _Parser:
    def __init__(self, text: str) -> None:
        self.lexer = Lexer(text)
        self.last: Token | None = None

    def _next(self) -> Token:
        token = self.lexer.next()
        self.last = token
        return token

    def _peek_word(self, word: str) -> bool:
        token = self.lexer.peek()
        return token.kind is TokenKind.WORD and token.value == word

    def parse(self) -> Node:
        if not self.lexer.text.strip():
            raise ConditionSyntaxError("empty condition", 0)
        node = self._or()
        self.expect_end()
        return node

    def expect_end(self) -> None:
        token = self.lexer.peek()
        if token.kind is not TokenKind.EOF:
            raise self._unexpected_after(token, "'or', 'and'")

    def _unexpected_after(self, token: Token, expecting: str) -> ConditionSyntaxError:
        after = self.last.raw if self.last is not None else ""
        return ConditionSyntaxError(
            f"unexpected token after '{after}', expecting {expecting}", token.offset
        )

    def _or(self) -> Node:
        children = [self._and()]
        while self._peek_word("or"):
            self._next()
            children.append(self._and())
        return children[0] if len(children) == 1 else Or(tuple(children))

    def _and(self) -> Node:
        children = [self._not()]
        while self._peek_word("and"):
            self._next()
            children.append(self._not())
        return children[0] if len(children) == 1 else And(tuple(children))

    def _not(self) -> Node:
        if self._peek_word("not"):
            token = self._next()
            return Not(self._not(), token.offset)
        return self._primary()

    def _primary(self) -> Node:
        token = self._next()
        if token.kind is TokenKind.LPAREN:
            node = self._or()
            closing = self.lexer.peek()
            if closing.kind is not TokenKind.RPAREN:
                raise self._unexpected_after(closing, "'or', 'and', ')'")
            self._next()
            return node
        if token.kind is TokenKind.WORD and token.value not in _KEYWORDS:
            if token.value in _LHS_TRANSFORMERS and self.lexer.peek().kind is TokenKind.LPAREN:
                return self._check(self._transformed(token))
            if _FIELD.fullmatch(token.value):
                return self._check(_field(token))
            if _IDENT.fullmatch(token.value):
                return MacroRef(token.value, token.offset)
        shown = token.raw or "end of condition"
        raise ConditionSyntaxError(
            f"unexpected token '{shown}', expecting a field, a macro, 'not' or '('", token.offset
        )

    def _transformed(self, name: Token) -> FieldRef:
        self._next()  # the '(' checked by the caller
        inner = self._next()
        if inner.kind is TokenKind.WORD and inner.value in _LHS_TRANSFORMERS:
            if self.lexer.peek().kind is not TokenKind.LPAREN:
                raise ConditionSyntaxError(f"expecting '(' after '{inner.value}'", inner.offset)
            field = self._transformed(inner)
        elif inner.kind is TokenKind.WORD and _FIELD.fullmatch(inner.value):
            field = _field(inner)
        else:
            raise ConditionSyntaxError(
                f"expecting a field inside {name.value}(), found '{inner.raw}'", inner.offset
            )
        closing = self._next()
        if closing.kind is not TokenKind.RPAREN:
            raise ConditionSyntaxError(f"expecting ')' to close {name.value}(", closing.offset)
        transformer = Transformer(name.value)
        return FieldRef(field.name, field.arg, name.offset, (*field.transformers, transformer))

    def _check(self, lhs: FieldRef) -> Compare:
        token = self._next()
        op = Op.parse(token.value) if token.kind in (TokenKind.WORD, TokenKind.SYMBOL) else None
        if op is None:
            raise ConditionSyntaxError(
                f"unexpected token after '{lhs.render()}', expecting an operator"
                f" (=, !=, in, contains, exists, ...), found '{token.raw or 'end of condition'}'",
                token.offset,
            )
        if op is Op.EXISTS:
            return Compare(lhs, op, None, lhs.offset)
        value_token = self.lexer.next_value()
        rhs: Value
        if op.takes_list and value_token.kind is TokenKind.LPAREN:
            rhs = self.list_value(value_token)
        else:
            rhs = self._scalar_value(value_token, op)
        return Compare(lhs, op, rhs, lhs.offset)

    def _scalar_value(self, token: Token, op: Op) -> Value:
        self.last = token
        if token.kind is TokenKind.STRING:
            return Literal(token.value, token.offset, quoted=True)
        if token.kind is not TokenKind.WORD:
            expected = "a list '(...)'" if op.takes_list else "a value"
            shown = token.raw or "end of condition"
            raise ConditionSyntaxError(
                f"expecting {expected} after '{op.value}', found '{shown}'", token.offset
            )
        is_call = self.lexer.peek().kind is TokenKind.LPAREN
        if is_call and token.value == Transformer.VAL.value:
            self._next()
            field_token = self._next()
            if field_token.kind is not TokenKind.WORD or not _FIELD.fullmatch(field_token.value):
                raise ConditionSyntaxError("expecting a field inside val()", field_token.offset)
            if self._next().kind is not TokenKind.RPAREN:
                raise ConditionSyntaxError("expecting ')' to close val(", field_token.offset)
            return _field(field_token)
        if is_call and token.value in _LHS_TRANSFORMERS:
            return self._transformed(token)
        if op.takes_list:
            raise ConditionSyntaxError(
                f"expecting a list '(...)' after '{op.value}', found '{token.raw}'", token.offset
            )
        return Literal(token.value, token.offset)

    def list_value(self, opening: Token) -> ListLiteral:
        if opening.kind is not TokenKind.LPAREN:
            raise ConditionSyntaxError(f"expecting '(', found '{opening.raw}'", opening.offset)
        items: list[Literal] = []
        token = self.lexer.next_value()
        if token.kind is TokenKind.RPAREN:
            self.last = token
            return ListLiteral((), opening.offset)
        while True:
            if token.kind not in (TokenKind.STRING, TokenKind.WORD):
                shown = token.raw or "end of condition"
                raise ConditionSyntaxError(f"expecting a list item, found '{shown}'", token.offset)
            items.append(Literal(token.value, token.offset, token.kind is TokenKind.STRING))
            separator = self.lexer.next_value()
            self.last = separator
            if separator.kind is TokenKind.RPAREN:
                return ListLiteral(tuple(items), opening.offset)
            if separator.kind is not TokenKind.COMMA:
                shown = separator.raw or "end of condition"
                raise ConditionSyntaxError(
                    f"expecting ',' or ')' in list, found '{shown}'", separator.offset
                )
            token = self.lexer.next_value()


def _field(token: Token) -> FieldRef:
    match = _FIELD.fullmatch(token.value)
    if match is None:  # the callers check first; this keeps the contract explicit
        raise ConditionSyntaxError(f"'{token.value}' is not a field", token.offset)
    arg = match.group(1)
    name = token.value if arg is None else token.value[: token.value.index("[")]
    return FieldRef(name, arg, token.offset)


def parse_field_text(text: str) -> FieldRef | None:
    """A field reference such as ``proc.aname[2]``, or None when ``text`` is not one."""
    text = text.strip()
    if not _FIELD.fullmatch(text):
        return None
    return _field(Token(TokenKind.WORD, text, 0, text))
