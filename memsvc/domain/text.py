"""Plain text helpers shared by lexical search, extraction and evaluation."""

from __future__ import annotations

import re

# Words with inner apostrophes ("don't"); a possessive "'s" is cut off ("Rex's" -> "rex").
WORD_RE = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")

# A standard English stop-word list (the union of the common short lists), kept small on
# purpose: words such as "first", "last", "before" or "never" carry meaning in memory queries.
STOPWORDS = frozenset(
    """
    a about above after again against all am an and any are aren't as at be because been being
    below between both but by can can't cannot could couldn't did didn't do does doesn't doing
    don't down during each few for from further had hadn't has hasn't have haven't having he
    he'd he'll he's her here here's hers herself him himself his how how's i i'd i'll i'm i've
    if in into is isn't it it's its itself let's me more most mustn't my myself no nor not of
    off on once only or other ought our ours ourselves out over own same shan't she she'd she'll
    she's should shouldn't so some such than that that's the their theirs them themselves then
    there there's these they they'd they'll they're they've this those through to too under
    until up very was wasn't we we'd we'll we're we've were weren't what what's when when's
    where where's which while who who's whom why why's with won't would wouldn't you you'd
    you'll you're you've your yours yourself yourselves just also really s t d ll m re ve
    """.split()
)


def words(text: str) -> list[str]:
    """Lower-cased word tokens (letters and digits, with inner apostrophes)."""
    out = []
    for word in WORD_RE.findall(text.lower().replace("’", "'")):
        out.append(word[:-2] if word.endswith("'s") else word)
    return out


def content_words(text: str) -> list[str]:
    """Words without stop words, in order, with duplicates."""
    return [w for w in words(text) if w not in STOPWORDS]


def estimate_tokens(text: str) -> int:
    """Tokens of `text` for budgets, without a tokenizer: about 4 ASCII characters per token
    (the usual figure for English with BPE tokenizers, which run at 4-4.5), plus one per other
    character, since CJK text and emoji tokenise far more densely. It leans high, the safe side
    for budgets (packed contexts, LLM prompts). `memsvc.tokens` re-exports it."""
    ascii_chars = len(text.encode("ascii", "ignore"))  # one byte per ASCII character
    return (ascii_chars + 3) // 4 + (len(text) - ascii_chars)
