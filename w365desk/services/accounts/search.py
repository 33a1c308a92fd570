"""Finding accounts: the search-key normalization and the indexed search statement.

Search keys (``name_key``, ``email_key``) all come from :func:`normalize_search_key`, and
search expresses "starts with" as a key range so the b-tree indexes answer it on SQLite
(BINARY) and PostgreSQL (collation "C") alike.
"""

from __future__ import annotations

import unicodedata
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, case, select, union
from sqlalchemy.orm import QueryableAttribute

from w365desk.db.models import Account, AccountStatus, Contact
from w365desk.services.accounts.inputs import normalize_account_number

SEARCH_KEY_MAX_LENGTH = 200


def normalize_search_key(text: str) -> str:
    """The one normalization behind every search key and every search query.

    Unicode-compatibility folded, case-folded, whitespace collapsed and stripped, NUL
    dropped (PostgreSQL cannot hold it), and cut to the key column's length.
    """
    text = text.replace("\x00", "")
    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", text).casefold())
    return " ".join(folded.split())[:SEARCH_KEY_MAX_LENGTH]


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


def build_search_statement(
    query: str, *, limit: int, include_inactive: bool = False
) -> Select[Account]:
    """The search as one statement: a UNION of indexed lookups, ordered by name.

    Each branch (name prefix, exact number, account email prefix, contact email prefix)
    is its own indexed select; an OR across different columns would defeat the indexes.
    Prefix branches stop after ``limit`` rows in their own index order, so a very common
    prefix (every "billing@…") costs ``limit`` rows, not thousands. An exact number
    match is listed first, then everything else by name.
    """
    key = normalize_search_key(query)
    number = normalize_account_number(query)
    active_only = [] if include_inactive else [Account.status == AccountStatus.ACTIVE]

    by_number = select(Account.id).where(Account.number == number, *active_only)
    by_name = (
        select(Account.id)
        .where(_starts_with(Account.name_key, key), *active_only)
        .order_by(Account.name_key)
        .limit(limit)
        .subquery("by_name")
    )
    by_email = (
        select(Account.id)
        .where(_starts_with(Account.email_key, key), *active_only)
        .order_by(Account.email_key)
        .limit(limit)
        .subquery("by_email")
    )
    by_contact = (
        select(Contact.account_id.label("id"))
        .join(Account, Account.id == Contact.account_id)
        .where(_starts_with(Contact.email_key, key), *active_only)
        .order_by(Contact.email_key)
        .limit(limit)
        .subquery("by_contact")
    )
    matched = union(
        by_number,
        select(by_name.c.id),
        select(by_email.c.id),
        select(by_contact.c.id),
    ).subquery("matched")
    return (
        select(Account)
        .join(matched, Account.id == matched.c.id)
        .order_by(
            case((Account.number == number, 0), else_=1),
            Account.name_key,
            Account.id,
        )
        .limit(limit)
    )
