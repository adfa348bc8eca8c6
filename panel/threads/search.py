"""Searching threads by what the tenant and staff wrote.

On PostgreSQL the query is read as a web search (``websearch_to_tsquery``: words, "quoted
phrases", ``-not``, ``or``) in every language tenants answer in, OR-ed, and matched against the
thread's tsvector (built in the thread's own language, with a GIN index): a Swedish query finds
Swedish inflections and a Dutch one Dutch. On SQLite, the embedded default, every word must
appear in the thread's text (a case-insensitive LIKE; SQLite folds the case of ASCII letters
only).
"""

from __future__ import annotations

import re

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from panel.threads.models import Thread
from panel.threads.service import TEXT_SEARCH

MAX_QUERY = 200
WORD = re.compile(r"\w+", re.UNICODE)
# Every configuration a thread's vector may have been built with (service.text_search_config).
CONFIGS = (*dict.fromkeys(TEXT_SEARCH.values()), "simple")


def search_clause(dialect: str, q: str) -> sa.ColumnElement[bool] | None:
    """The WHERE clause of threads matching ``q`` on ``dialect`` (``postgresql`` or another);
    None when ``q`` has nothing to search for (blank, or only punctuation)."""
    words = WORD.findall(q or "")
    if not words:
        return None
    if dialect == "postgresql":
        return _full_text(q)
    return sa.and_(*(Thread.search_text.icontains(word, autoescape=True) for word in words))


def _full_text(q: str) -> sa.ColumnElement[bool]:
    queries = [
        sa.func.websearch_to_tsquery(sa.cast(config, postgresql.REGCONFIG), q) for config in CONFIGS
    ]
    combined = queries[0]
    for query in queries[1:]:
        combined = combined.op("||")(query)
    return Thread.search_vector.op("@@")(combined)
