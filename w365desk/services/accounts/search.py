"""Finding accounts: what a search means, as a condition the databases' indexes answer.

A search finds every account whose search document (``account.search_text``: name,
number, emails, phone numbers, contact names; see ``db/search_index.py``) contains every
word of the query, case-insensitively; a word that looks like a phone number also
matches by its digits, whatever the punctuation. Words of three characters or more go to
the text index (SQLite FTS5 trigram, PostgreSQL ``pg_trgm``); shorter ones only narrow
what a longer word found. A query with no word that long is a prefix search over the
name, number and email keys, which their b-tree indexes answer (SQLite BINARY,
PostgreSQL collation "C").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    func,
    literal_column,
    or_,
    select,
    text,
    true,
    union,
)
from sqlalchemy.orm import QueryableAttribute

from w365desk.db.models import Account, Contact
from w365desk.db.search_index import (
    FTS_TABLE,
    MIN_FRAGMENT_LENGTH,
    normalize_search_key,
    phone_digits,
)
from w365desk.services.accounts.inputs import normalize_account_number

__all__ = [
    "SearchTerms",
    "exact_number",
    "matching_condition",
    "normalize_search_key",
    "parse_search",
    "prefix_upper_bound",
]

# A word is read as (part of) a phone number when it is only digits and phone
# punctuation and holds this many digits: "555-0100", "(206)", "2065550100".
_PHONE_WORD = re.compile(r"[0-9+().\-/]+")
_PHONE_MIN_DIGITS = 3


@dataclass(frozen=True)
class SearchTerms:
    """A query cut into words: the ones the text index can look up (each with the
    alternatives that also count, such as a phone number's bare digits) and the short
    ones that only narrow the result."""

    query: str
    indexed: tuple[tuple[str, ...], ...]
    short: tuple[str, ...]

    @property
    def empty(self) -> bool:
        return not self.indexed and not self.short


def parse_search(query: str) -> SearchTerms:
    key = normalize_search_key(query)
    indexed: list[tuple[str, ...]] = []
    short: list[str] = []
    for word in key.split():
        if len(word) < MIN_FRAGMENT_LENGTH:
            short.append(word)
            continue
        alternatives = [word]
        digits = phone_digits(word)
        if _PHONE_WORD.fullmatch(word) and len(digits) >= _PHONE_MIN_DIGITS and digits != word:
            alternatives.append(digits)
        indexed.append(tuple(alternatives))
    return SearchTerms(key, tuple(indexed), tuple(short))


def prefix_upper_bound(prefix: str) -> str | None:
    """The smallest string greater than every string starting with ``prefix``.

    ``key >= prefix AND key < bound`` is then exactly "key starts with prefix" under a
    byte-wise (code point) ordering. None means there is no upper bound.
    """
    chars = list(prefix)
    while chars:
        code = ord(chars[-1]) + 1
        if 0xD800 <= code <= 0xDFFF:  # surrogates cannot be encoded; skip past them
            code = 0xE000
        if code <= 0x10FFFF:
            chars[-1] = chr(code)
            return "".join(chars)
        chars.pop()
    return None


def _starts_with(column: QueryableAttribute[Any], prefix: str) -> ColumnElement[bool]:
    """``column`` starts with ``prefix``, as a range the column's b-tree index can scan.

    LIKE would need escaping for % and _ and, on PostgreSQL, a pattern-ops index; a
    range is exact under byte-wise ordering and treats every character literally.
    """
    bound = prefix_upper_bound(prefix)
    lower = column >= prefix
    return and_(lower, column < bound) if bound is not None else lower


def _fts_phrase(word: str) -> str:
    return '"' + word.replace('"', '""') + '"'


def _like_contains(word: str) -> str:
    escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _indexed_condition(dialect: str, terms: SearchTerms) -> ColumnElement[bool]:
    if dialect == "sqlite":
        expression = " AND ".join(
            "(" + " OR ".join(_fts_phrase(word) for word in alternatives) + ")"
            for alternatives in terms.indexed
        )
        matches: Select[Any] = (
            select(literal_column("rowid"))
            .select_from(text(FTS_TABLE))
            .where(text(f"{FTS_TABLE} MATCH :search_expression"))
        ).params(search_expression=expression)
        return Account.id.in_(matches)
    return and_(
        *(
            or_(
                *(
                    Account.search_text.like(_like_contains(word), escape="\\")
                    for word in alternatives
                )
            )
            for alternatives in terms.indexed
        )
    )


def _prefix_condition(terms: SearchTerms) -> ColumnElement[bool]:
    """Only short words: the name, an email (the account's or a contact's) starts with
    the query, or the number is exactly it."""
    key = terms.query
    # One indexed lookup per column, united: an OR across columns would defeat the indexes.
    matches = union(
        select(Account.id).where(Account.number == normalize_account_number(key)),
        select(Account.id).where(_starts_with(Account.name_key, key)),
        select(Account.id).where(_starts_with(Account.email_key, key)),
        select(Contact.account_id).where(_starts_with(Contact.email_key, key)),
    )
    return Account.id.in_(matches)


def matching_condition(dialect: str, terms: SearchTerms) -> ColumnElement[bool]:
    """The WHERE condition for ``terms`` on ``dialect`` ("sqlite" or "postgresql")."""
    if terms.empty:
        return true()
    if not terms.indexed:
        return _prefix_condition(terms)
    narrowing = [_contains(dialect, word) for word in terms.short]
    return and_(_indexed_condition(dialect, terms), *narrowing)


def _contains(dialect: str, word: str) -> ColumnElement[bool]:
    """The document contains ``word`` (no index: only to narrow an indexed match)."""
    if dialect == "sqlite":
        return func.instr(Account.search_text, word) > 0
    return Account.search_text.like(_like_contains(word), escape="\\")


def exact_number(terms: SearchTerms) -> str | None:
    """The query as an account number, when it could be one (one word, no spaces)."""
    if terms.empty or " " in terms.query:
        return None
    return normalize_account_number(terms.query)
