"""The IVR condition grammar of the docs (``ivr_tree_conditions.rst`` and the Conditions table
of the advertiser campaigns page): a small recursive-descent parser.

Rules of this module:

* One grammar for every condition of an IVR tree: a Condition node's ``condition``, the
  campaign's ``call_recording_condition`` and ``whisper_prompt_condition``.
* Words: ``during_hours``, ``repeat``, ``landline``, ``mobile``, ``sms_sent``, ``in_region``
  (optionally ``in_region[<region name>]``, the 2016 example ``in_region[West Coast]``),
  ``pressed[<keys>]`` (keys ``1``-``9``, ``a``-``z``, ``W``, ``N``, case sensitive, a sub-menu
  keypress joined by single spaces: ``pressed[1 1 2]``), ``duration <op> <length>`` (the docs'
  examples ``duration > 60``, ``duration >= 1 min 30 sec``, ``duration > 12 sec``; op one of
  ``>``, ``>=``, ``<``, ``<=``, ``=``), and the text tests ``custom_data[<field>]``,
  ``affiliate_name``, ``media_type``, ``promo_number_description`` followed by ``= "text"``,
  ``!= "text"``, ``contains "text"`` or ``present``.
* ``not`` binds tightest, then ``and``, then ``or`` ("and is higher precedence than or");
  parentheses group.
* :func:`condition_error` answers ``None`` for a valid condition, else one short reason naming
  the position (the docs document no message: the sandbox's wording). No evaluation: the
  sandbox runs no IVR (calls have no keypresses).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["SIMPLE_WORDS", "TEXT_TESTS", "condition_error", "parse_condition"]

#: conditions that stand alone
SIMPLE_WORDS = frozenset({"during_hours", "repeat", "landline", "mobile", "sms_sent", "in_region"})
#: conditions followed by ``= "x"``, ``!= "x"``, ``contains "x"`` or ``present``
TEXT_TESTS = frozenset({"affiliate_name", "media_type", "promo_number_description"})
_KEY = re.compile(r"^[1-9a-zWN]$")
_TOKEN = re.compile(r"""
    \s*(?:
      (?P<string>"[^"]*")
    | (?P<bracket>\[[^\[\]]*\])
    | (?P<op>>=|<=|!=|>|<|=)
    | (?P<paren>[()])
    | (?P<number>[0-9]+)
    | (?P<word>[A-Za-z_][A-Za-z0-9_]*)
    )""", re.VERBOSE)


class ConditionError(ValueError):
    """A condition outside the grammar."""


@dataclass(frozen=True, slots=True)
class _Token:
    kind: str
    text: str
    at: int


def _tokens(text: str) -> list[_Token]:
    found: list[_Token] = []
    at = 0
    while at < len(text):
        if text[at:].strip() == "":
            break
        match = _TOKEN.match(text, at)
        if match is None or match.lastgroup is None:
            start = len(text) - len(text[at:].lstrip())
            raise ConditionError(f"unexpected {text[start]!r} at {start + 1}")
        kind = match.lastgroup
        found.append(_Token(kind, match.group(kind), match.start(kind)))
        at = match.end()
    return found


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = _tokens(text)
        self.at = 0

    def peek(self) -> _Token | None:
        return self.tokens[self.at] if self.at < len(self.tokens) else None

    def take(self) -> _Token:
        token = self.peek()
        if token is None:
            raise ConditionError("unexpected end of condition")
        self.at += 1
        return token

    def word(self, text: str) -> bool:
        token = self.peek()
        if token is not None and token.kind == "word" and token.text == text:
            self.at += 1
            return True
        return False

    def condition(self) -> None:
        self.conjunction()
        while self.word("or"):
            self.conjunction()

    def conjunction(self) -> None:
        self.unary()
        while self.word("and"):
            self.unary()

    def unary(self) -> None:
        if self.word("not"):
            self.unary()
            return
        token = self.take()
        if token.kind == "paren" and token.text == "(":
            self.condition()
            closing = self.take()
            if closing.text != ")":
                raise ConditionError(f"expected ')' at {closing.at + 1}")
            return
        if token.kind != "word" or token.text in ("and", "or"):
            raise ConditionError(f"unexpected {token.text!r} at {token.at + 1}")
        self.atom(token)

    def bracket(self, after: _Token) -> str:
        token = self.peek()
        if token is None or token.kind != "bracket":
            raise ConditionError(f"{after.text} needs [...] at {after.at + len(after.text) + 1}")
        self.at += 1
        return token.text[1:-1]

    def atom(self, token: _Token) -> None:
        name = token.text
        if name in SIMPLE_WORDS:
            if name == "in_region" and (nxt := self.peek()) is not None and nxt.kind == "bracket":
                self.at += 1
                if not nxt.text[1:-1].strip():
                    raise ConditionError(f"empty region at {nxt.at + 1}")
            return
        if name == "pressed":
            keys = self.bracket(token)
            if not keys or any(not _KEY.match(key) for key in keys.split(" ")):
                raise ConditionError(f"pressed[{keys}]: keys are 1-9, a-z, W, N "
                                     "joined by single spaces")
            return
        if name == "duration":
            self.duration(token)
            return
        if name == "custom_data":
            if not self.bracket(token).strip():
                raise ConditionError(f"custom_data needs a field name at {token.at + 1}")
            self.text_test(token)
            return
        if name in TEXT_TESTS:
            self.text_test(token)
            return
        raise ConditionError(f"unknown condition {name!r} at {token.at + 1}")

    def text_test(self, subject: _Token) -> None:
        if self.word("present"):
            return
        token = self.peek()
        if token is not None and ((token.kind == "op" and token.text in ("=", "!="))
                                  or (token.kind == "word" and token.text == "contains")):
            self.at += 1
            value = self.take()
            if value.kind != "string":
                raise ConditionError(f"expected a quoted value at {value.at + 1}")
            return
        raise ConditionError(f"{subject.text} needs =, !=, contains or present "
                             f"at {subject.at + 1}")

    def duration(self, subject: _Token) -> None:
        op = self.take()
        if op.kind != "op" or op.text == "!=":
            raise ConditionError(f"duration needs >, >=, <, <= or = at {op.at + 1}")
        parts = 0
        units: list[str] = []
        while (token := self.peek()) is not None and token.kind == "number":
            self.at += 1
            parts += 1
            unit = self.peek()
            if unit is not None and unit.kind == "word" and unit.text in ("min", "sec"):
                self.at += 1
                units.append(unit.text)
            else:
                units.append("")
        if parts == 0:
            raise ConditionError(f"duration needs a length at {op.at + len(op.text) + 1}")
        if units not in (["min", "sec"], ["min"], ["sec"], [""]):
            raise ConditionError(f"duration length must be N, N sec, N min or N min M sec "
                                 f"at {subject.at + 1}")


def parse_condition(text: str) -> None:
    """Raise :class:`ConditionError` unless ``text`` is a condition of the grammar."""
    parser = _Parser(text)
    if parser.peek() is None:
        raise ConditionError("empty condition")
    parser.condition()
    extra = parser.peek()
    if extra is not None:
        raise ConditionError(f"unexpected {extra.text!r} at {extra.at + 1}")


def condition_error(text: str) -> str | None:
    """``None`` for a valid condition, else the reason (see the module rules)."""
    try:
        parse_condition(text)
    except ConditionError as error:
        return str(error)
    return None
