"""Full-text search of threads: what the tenant and staff wrote, found by a word or a phrase.

On PostgreSQL a thread's ``search_vector`` is made in its own language's text search
configuration (see :func:`panel.threads.service.text_search_config`), so the query is made in
every configuration a thread can have and OR-ed: a Swedish word is stemmed as Swedish
("hissarna" finds "hissen"), a Dutch one as Dutch, and one GIN index answers all of them.
Each thread the index finds is then checked against the query in its own language only: OR-ed
across languages, a word left out (``-hissen``) would be left out in Swedish and still let
the thread through in English, where the Swedish thread has no such word.
``websearch_to_tsquery`` reads what people type into search boxes ("quoted phrases", ``or``,
``-word``) and never fails on stray punctuation.

On SQLite (the embedded default) there is no stemming: every word must appear in the thread's
``search_text`` (``LIKE``, which folds the case of ASCII letters only).
"""

from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from panel.threads.models import Thread
from panel.threads.service import TEXT_SEARCH

MAX_QUERY = 200  # characters of a search that count; the rest is dropped (and said so)
MAX_WORDS = 12
# Every configuration a thread's vector can be made in: one per language, and the rest.
CONFIGS = (*dict.fromkeys(TEXT_SEARCH.values()), "simple")
_WORD = re.compile(r"\w[\w'\u2019-]*", re.UNICODE)  # with typographic apostrophes


def clean_query(text: str | None) -> tuple[str, bool]:
    """The search as it is used (spaces tidied, at most :data:`MAX_QUERY` characters), and
    whether it was cut short."""
    tidy = " ".join((text or "").split())
    return tidy[:MAX_QUERY].strip(), len(tidy) > MAX_QUERY


def _tsquery(config: str, query: Any) -> sa.ColumnElement[object]:
    return sa.func.websearch_to_tsquery(sa.cast(config, postgresql.REGCONFIG), query)


def tsquery(query: Any) -> sa.ColumnElement[object]:
    """The search as one ``tsquery``: the query in every configuration, OR-ed together."""
    parts = [_tsquery(config, query) for config in CONFIGS]
    combined = parts[0]
    for part in parts[1:]:
        combined = combined.op("||")(part)
    return combined


def _in_own_language(query: Any) -> sa.ColumnElement[bool]:
    """The thread matches the query made in the thread's own configuration."""
    language = sa.func.substr(Thread.language, 1, 2)
    return sa.case(
        *(
            (language == code, Thread.search_vector.bool_op("@@")(_tsquery(config, query)))
            for code, config in TEXT_SEARCH.items()
        ),
        else_=Thread.search_vector.bool_op("@@")(_tsquery("simple", query)),
    )


def words(query: str) -> list[str]:
    """The words of a search, for the LIKE fallback (at most :data:`MAX_WORDS`)."""
    return [match.group(0) for match in _WORD.finditer(query)][:MAX_WORDS]


def search_clause(dialect: str, query: str) -> sa.ColumnElement[bool] | None:
    """Threads that match ``query`` (see :func:`clean_query`) on this database ``dialect``;
    None when it has nothing to search for (blank, or punctuation only)."""
    found = words(query)
    if not found:
        return None
    if dialect == "postgresql":
        # The first is what the GIN index answers; the second checks what it found.
        return sa.and_(Thread.search_vector.bool_op("@@")(tsquery(query)), _in_own_language(query))
    return sa.and_(*(Thread.search_text.icontains(word, autoescape=True) for word in found))


# The same, built once and given its values as parameters (see panel.threads.inbox.Shape).


def search_values(dialect: str, query: str) -> dict[str, str]:
    """The parameters of :func:`bound_clause` for ``query``: ``q`` on PostgreSQL; on SQLite
    ``w0``, ``w1``… the LIKE patterns of its words. Empty when it has no word to search for."""
    found = words(query)
    if not found:
        return {}
    if dialect == "postgresql":
        return {"q": query}
    return {f"w{n}": f"%{_escape(word)}%" for n, word in enumerate(found)}


def bound_words(dialect: str, values: dict[str, str]) -> int:
    """How many words :func:`bound_clause` binds for these values (PostgreSQL: one query)."""
    if not values:
        return 0
    return 1 if dialect == "postgresql" else len(values)


def bound_clause(dialect: str, count: int) -> sa.ColumnElement[bool]:
    """:func:`search_clause` with named parameters: ``q`` on PostgreSQL; on SQLite ``count``
    LIKE patterns ``w0``… (escaped with ``/``), both sides lower-cased by the database."""
    if dialect == "postgresql":
        query = sa.bindparam("q", type_=sa.String)
        return sa.and_(Thread.search_vector.bool_op("@@")(tsquery(query)), _in_own_language(query))
    text = sa.func.lower(Thread.search_text)
    return sa.and_(
        *(
            text.like(sa.func.lower(sa.bindparam(f"w{n}", type_=sa.String)), escape="/")
            for n in range(count)
        )
    )


def _escape(word: str) -> str:
    return word.replace("/", "//").replace("%", "/%").replace("_", "/_")
