"""Character bigrams of Chinese text: the tokens of the complaint search index.

Chinese has no spaces, and a word segmenter (jieba) cuts the same characters
differently depending on their neighbours, so a query segmented on its own
may not find the text it occurs in. Overlapping character bigrams have no
such failure: every substring of two or more Chinese characters is found by
the bigrams it consists of, whatever the context. The index therefore holds
the distinct bigrams of each run of Chinese characters (a run of one
character is indexed as that character), and a search term of n >= 2
characters asks for its n-1 bigrams; with more than one bigram the rows found
are rechecked with the exact substring test, because bigrams in any order
would also match (see ``kefu.complaints.search``).

The PostgreSQL function ``kefu_search_tsv`` (migration 0001) computes the same
tokens in SQL from ``CJK_CLASS``; ``test_search`` checks that both agree.
"""

from __future__ import annotations

import re

# CJK Unified Ideographs, Extension A, Compatibility Ideographs.
CJK_CLASS = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
CJK_RUN = re.compile(f"[{CJK_CLASS}]+")


def bigrams(text: str) -> set[str]:
    """Distinct bigrams (or lone characters) of every Chinese run in ``text``."""
    out: set[str] = set()
    for run in CJK_RUN.findall(text or ""):
        if len(run) == 1:
            out.add(run)
        else:
            out.update(run[i : i + 2] for i in range(len(run) - 1))
    return out


def document(title: str | None, description: str | None) -> str:
    """The space-separated tokens stored for one complaint (SQLite FTS5 input)."""
    return " ".join(sorted(bigrams(f"{title or ''} {description or ''}")))


def query_bigrams(term: str) -> list[str] | None:
    """The bigrams every row containing ``term`` must have, or None if the index cannot serve it.

    The index serves a term made only of Chinese characters, at least two of
    them; anything else (Latin letters, digits, one character, punctuation)
    is left to the plain substring filter.
    """
    if len(term) < 2 or not CJK_RUN.fullmatch(term):
        return None
    seen: dict[str, None] = {}
    for i in range(len(term) - 1):
        seen.setdefault(term[i : i + 2], None)
    return list(seen)
