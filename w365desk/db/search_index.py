"""The account text index: what an account's search document holds, and the index over it.

Every account row carries ``search_text``: its name, number, emails, phone numbers (as
typed and as bare digits) and its contacts' names, emails and phones (former contacts
too), case-folded, one field per line. The database's own text index answers "contains"
over it: SQLite's FTS5 with the trigram tokenizer (an external-content table kept in step
by triggers, so every write — the services', a bulk import's, a migration's — updates it
in the same transaction), PostgreSQL's ``pg_trgm`` (a GIN index serving ``LIKE``).

Both index trigrams, so a fragment of fewer than three characters cannot use them.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

SEARCH_KEY_MAX_LENGTH = 200
# Shortest fragment the trigram indexes can look up.
MIN_FRAGMENT_LENGTH = 3

FTS_TABLE = "account_search"
PG_TRIGRAM_INDEX = "ix_account_search_trgm"
# Objects the migrations create beside the models (autogenerate and schema comparisons
# leave them out): the FTS5 table, its shadow tables and triggers, the trigram index.
INDEX_OBJECT_NAMES = frozenset(
    {
        FTS_TABLE,
        *(f"{FTS_TABLE}_{suffix}" for suffix in ("data", "idx", "docsize", "config", "content")),
        PG_TRIGRAM_INDEX,
    }
)

_NOT_DIGIT = re.compile(r"\D+")


def described_by_models(name: str | None, type_: str, parent_names: object) -> bool:
    """Alembic's ``include_name`` hook: everything but the text-index objects above, which
    the migrations make and the models do not describe."""
    return name not in INDEX_OBJECT_NAMES


def normalize_search_key(text: str) -> str:
    """The one normalization behind every search key, search document and search query.

    Unicode-compatibility folded, case-folded, whitespace collapsed and stripped, NUL
    dropped (PostgreSQL cannot hold it), and cut to the key column's length.
    """
    return _fold(text)[:SEARCH_KEY_MAX_LENGTH]


def _fold(text: str) -> str:
    text = text.replace("\x00", "")
    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", text).casefold())
    return " ".join(folded.split())


def phone_digits(text: str | None) -> str:
    """Only the ASCII digits of a phone number, so "+1 (206) 555-0100" is found by 2065550100."""
    digits = _NOT_DIGIT.sub("", unicodedata.normalize("NFKC", text or ""))
    return "".join(char for char in digits if char.isascii())


def search_document(
    *,
    name: str,
    number: str,
    emails: Iterable[str | None] = (),
    phones: Iterable[str | None] = (),
    contact_names: Iterable[str] = (),
) -> str:
    """What ``account.search_text`` holds for these values, one field per line (so a
    fragment never matches across two fields)."""
    lines = [name, number, *(e for e in emails if e), *contact_names]
    for phone in phones:
        if phone:
            lines.append(phone)
            lines.append(phone_digits(phone))
    seen: dict[str, None] = {}
    for line in lines:
        folded = _fold(line)
        if folded:
            seen.setdefault(folded, None)
    return "\n".join(seen)


SQLITE_DDL: tuple[str, ...] = (
    f"CREATE VIRTUAL TABLE {FTS_TABLE} USING fts5("
    "search_text, content='account', content_rowid='id', tokenize='trigram')",
    f"CREATE TRIGGER {FTS_TABLE}_insert AFTER INSERT ON account BEGIN "
    f"INSERT INTO {FTS_TABLE}(rowid, search_text) VALUES (new.id, new.search_text); END",
    f"CREATE TRIGGER {FTS_TABLE}_delete AFTER DELETE ON account BEGIN "
    f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, search_text) "
    "VALUES ('delete', old.id, old.search_text); END",
    f"CREATE TRIGGER {FTS_TABLE}_update AFTER UPDATE OF search_text ON account BEGIN "
    f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, search_text) "
    "VALUES ('delete', old.id, old.search_text); "
    f"INSERT INTO {FTS_TABLE}(rowid, search_text) VALUES (new.id, new.search_text); END",
)
SQLITE_REBUILD = f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES ('rebuild')"
SQLITE_DROP: tuple[str, ...] = (
    f"DROP TRIGGER IF EXISTS {FTS_TABLE}_insert",
    f"DROP TRIGGER IF EXISTS {FTS_TABLE}_delete",
    f"DROP TRIGGER IF EXISTS {FTS_TABLE}_update",
    f"DROP TABLE IF EXISTS {FTS_TABLE}",
)

POSTGRESQL_DDL: tuple[str, ...] = (
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    f"CREATE INDEX {PG_TRIGRAM_INDEX} ON account USING gin (search_text gin_trgm_ops)",
)
POSTGRESQL_DROP: tuple[str, ...] = (f"DROP INDEX IF EXISTS {PG_TRIGRAM_INDEX}",)
