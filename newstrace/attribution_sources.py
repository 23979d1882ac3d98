"""Who a source is: outlet and alias tables, source-kind classification, back-references.

A source span ("a military-diplomatic source", "Political analyst Alexander Perendzhiev",
"RIA Novosti", "the report") is classified from its words, not from a model: the outlet table
and spaCy's entity labels say outlet / organisation / person, role nouns say official / expert /
witness (or an academic affiliation says expert), anonymity markers ("source", "unnamed", "officials familiar with") say anonymous.
Back-references ("he", "the source", a bare surname) resolve to the nearest earlier mention in
the same article, so that the canonical name is stored with every attribution.

The tables here are small and hand-written on purpose: they are documented in
the README (attribution section), and a user can see exactly why a name was normalised.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

#: Outlet aliases → canonical outlet name. Keys are compared lower-cased, with dashes,
#: dots and a leading "the" removed (see ``outlet_key``).
OUTLETS: dict[str, str] = {
    "ria novosti": "RIA Novosti", "ria": "RIA Novosti", "rianovosti": "RIA Novosti",
    "ria news": "RIA Novosti",
    "rt": "RT", "russia today": "RT", "rt com": "RT",
    "sputnik": "Sputnik", "sputnik news": "Sputnik", "sputniknews": "Sputnik",
    "sputnik middle east": "Sputnik",
    "tass": "TASS", "itar tass": "TASS", "interfax": "Interfax",
    "reuters": "Reuters", "ap": "Associated Press", "associated press": "Associated Press",
    "afp": "AFP", "agence france presse": "AFP", "agence france-presse": "AFP",
    "bbc": "BBC", "bbc news": "BBC", "cnn": "CNN", "fox news": "Fox News", "msnbc": "MSNBC",
    "nbc": "NBC News", "nbc news": "NBC News", "abc news": "ABC News", "cbs news": "CBS News",
    "new york times": "The New York Times", "nyt": "The New York Times",
    "washington post": "The Washington Post", "wall street journal": "The Wall Street Journal",
    "wsj": "The Wall Street Journal", "guardian": "The Guardian", "politico": "Politico",
    "bloomberg": "Bloomberg", "al jazeera": "Al Jazeera", "al arabiya": "Al Arabiya",
    "anadolu": "Anadolu Agency", "anadolu agency": "Anadolu Agency", "xinhua": "Xinhua",
    "dpa": "dpa", "usa today": "USA Today", "breitbart": "Breitbart",
    "huffington post": "HuffPost", "huffpost": "HuffPost", "izvestia": "Izvestia",
    "kommersant": "Kommersant", "lifenews": "LifeNews", "zvezda": "Zvezda",
}

#: Entity aliases → one norm (lower-cased keys). Only names that outlets demonstrably
#: spell differently for the same referent belong here.
ENTITY_ALIASES: dict[str, str] = {
    "is": "Islamic State", "isis": "Islamic State", "isil": "Islamic State",
    "daesh": "Islamic State", "islamic state": "Islamic State", "da'esh": "Islamic State",
    "islamic state of iraq and the levant": "Islamic State",
    "islamic state of iraq and syria": "Islamic State",
    "us": "United States", "u.s.": "United States", "usa": "United States",
    "united states": "United States", "the united states": "United States",
    "america": "United States", "washington": "United States",
    "uk": "United Kingdom", "britain": "United Kingdom", "great britain": "United Kingdom",
    "russian federation": "Russia", "moscow": "Russia",
    "saudi": "Saudi Arabia", "saudis": "Saudi Arabia", "riyadh": "Saudi Arabia",
    "damascus": "Syria", "syrian arab republic": "Syria",
    "baghdad": "Iraq", "deir ez-zor": "Deir ez-Zor", "deir ezzor": "Deir ez-Zor",
    "deir al-zor": "Deir ez-Zor", "deir el-zour": "Deir ez-Zor",
    "assad": "Bashar al-Assad", "bashar assad": "Bashar al-Assad",
    "bashar al-assad": "Bashar al-Assad", "al-assad": "Bashar al-Assad",
}

ROLE_OFFICIAL = frozenset(
    "head chief minister president spokesman spokeswoman spokesperson secretary official officials "
    "governor senator representative congressman congresswoman mayor ambassador envoy diplomat "
    "general commander colonel admiral officer lieutenant major captain director chairman "
    "chairwoman chair leader premier chancellor king prince deputy lawmaker legislator "
    "aide adviser advisor counsel attorney prosecutor judge sheriff press-secretary "
    "representative candidate nominee speaker ministry".split()
)
ROLE_EXPERT = frozenset(
    "analyst analysts expert experts professor researcher scholar economist scientist "
    "historian pundit commentator observer strategist pollster specialist lecturer fellow "
    "academic political-scientist consultant".split()
)
#: Words (lemmas) that make a named person without a role noun an expert: an academic
#: affiliation or occupation ("Helena Sorvik, who teaches maritime law at the University of
#: Castrell"). A role noun, when there is one, decides first ("president of the university").
EXPERT_AFFILIATIONS = frozenset("university institute college academy teach lecture research".split())
ROLE_WITNESS = frozenset("witness witnesses eyewitness eyewitnesses resident residents survivor "
                         "survivors bystander local locals onlooker".split())
ANONYMOUS_HEADS = frozenset("source sources insider insiders".split())
ANONYMOUS_MARKERS = frozenset(
    "unnamed anonymous unidentified undisclosed familiar condition anonymity".split()
)
DOCUMENT_HEADS = frozenset(
    "report reports statement statements document documents study studies survey surveys poll "
    "polls letter memo memorandum filing filings release communique communiqué analysis "
    "data figures record records cable cables email emails transcript transcripts "
    "complaint lawsuit indictment ruling order decree resolution bulletin article "
    "website blog tweet post video footage".split()
)
ORG_HEADS = frozenset(
    "ministry department government agency office campaign committee council party army "
    "military police coalition organization organisation group company firm administration "
    "embassy commission authorities authority forces command service union association "
    "house senate congress parliament kremlin pentagon court".split()
)
PRONOUNS = frozenset("he she they him her them it i we you his its their".split())
#: A source that is one of these ("the agency, which cited ...") stands for the noun before it.
RELATIVE_PRONOUNS = frozenset({"which", "who", "whom", "that"})
SOURCE_KINDS = ("anonymous", "named-official", "named-expert", "named-witness", "named-person",
                "organisation", "outlet", "document", "none")

_NON_WORD = re.compile(r"[\s\-\.\u2010-\u2015_/]+")


def outlet_key(name: str) -> str:
    """A lookup key for an outlet name: lower case, no accents, quote marks, dashes or dots, no
    'the'. Letters of every script are kept: "РИА Новости" has a key of its own, not the empty
    key that every non-Latin name would otherwise share."""
    text = "".join(c for c in unicodedata.normalize("NFKD", name) if not unicodedata.combining(c)).casefold()
    text = re.sub(r"['’]s\b", "", text)
    text = re.sub(r"[\"'’‘“”«»]", "", text)
    text = _NON_WORD.sub(" ", text).strip()
    text = re.sub(r"^the ", "", text)
    return text


#: Outlet names known from the corpus being analysed (the ``outlet`` of its articles), set by
#: the claims stage for the duration of a run: an outlet that publishes in the corpus is an
#: outlet when an article cites it, whether or not the static table knows it.
KNOWN_OUTLETS: ContextVar[dict[str, str] | None] = ContextVar("KNOWN_OUTLETS", default=None)

#: Last words that make a proper name a news outlet ("Nordmere News Agency", "Meridian Today").
MEDIA_HEADS = frozenset({
    "news", "agency", "today", "times", "post", "gazette", "courier", "herald", "tribune", "journal",
    "radio", "tv", "television", "broadcasting", "telegraph", "observer", "chronicle", "daily",
    "wire", "press", "dispatch", "express", "mail", "star", "sun", "monitor", "review", "bulletin",
})
#: Words that introduce an outlet's name: "public broadcaster APB", "the newspaper Kommersant".
MEDIA_DESCRIPTORS = frozenset({"broadcaster", "newspaper", "agency", "channel", "outlet", "website",
                               "tabloid", "magazine", "paper", "daily", "broadsheet", "network"})


@contextmanager
def corpus_outlets(names: Iterable[str]) -> Iterator[None]:
    """Within the block, ``canonical_outlet`` also knows these outlet names."""
    known = {key: n for n in names if n and any(ch.isupper() for ch in n) and (key := outlet_key(n))}
    token = KNOWN_OUTLETS.set(known)
    try:
        yield
    finally:
        KNOWN_OUTLETS.reset(token)


def canonical_outlet(name: str) -> str | None:
    """The canonical outlet for ``name`` ("RIA-Novosti" → "RIA Novosti"), or None if unknown.

    Known are: the static table, the corpus's own outlets (``corpus_outlets``), and a proper
    name that ends in a media word ("Nordmere News Agency") or follows one ("public
    broadcaster APB").
    """
    key = outlet_key(name)
    if not key:
        return None
    known = KNOWN_OUTLETS.get() or {}
    for table in (OUTLETS, known):
        if key in table:
            return table[key]
    # "RT reports", "Sputnik correspondent": an outlet name followed by a generic noun.
    words = key.split()
    for n in (4, 3, 2, 1):
        head = " ".join(words[:n])
        if len(words) >= n and head in OUTLETS:
            return OUTLETS[head]
        if len(words) >= n and head in known:
            return known[head]
    raw = [w for w in re.split(r"\s+", unicodedata.normalize("NFC", name).strip()) if w]
    while raw and raw[0].lower() in ("the", "a", "an"):
        raw = raw[1:]
    for i, word in enumerate(raw[:-1]):
        if word.lower().strip(",") in MEDIA_DESCRIPTORS:
            rest = [w.strip(",.") for w in raw[i + 1:]]
            if rest and all(w[:1].isupper() for w in rest):
                return " ".join(rest)
    if len(raw) >= 2 and all(w[:1].isupper() or w.lower() in ("of", "and", "de") for w in raw) \
            and raw[-1].lower().strip(",.") in MEDIA_HEADS and raw[0][:1].isupper():
        return " ".join(w.strip(",.") for w in raw)
    return None


def normalise_entity(text: str) -> str:
    """A light norm for an entity mention: alias table, else the text without 'the' and 's."""
    stripped = re.sub(r"\s+", " ", text).strip()
    stripped = re.sub(r"(['’]s|['’])$", "", stripped).strip()
    key = stripped.lower()
    key_no_the = re.sub(r"^the ", "", key)
    for candidate in (key, key_no_the):
        if candidate in ENTITY_ALIASES:
            return ENTITY_ALIASES[candidate]
    outlet = OUTLETS.get(outlet_key(stripped))
    if outlet:
        return outlet
    return re.sub(r"^(the|The) ", "", stripped)


@dataclass(frozen=True)
class SourceInfo:
    """What the words of a source span say about it."""

    kind: str
    role: str | None
    name: str | None
    outlet: str | None
    is_backref: bool


def classify_source(words: list[tuple[str, str, str, str]], person_names: list[str]) -> SourceInfo:
    """Classify a source span given its tokens as (text, lower lemma, pos, entity label).

    ``person_names`` are PERSON-like names inside the span (from NER or proper-noun runs).
    """
    if not words:
        return SourceInfo("none", None, None, None, False)
    text = " ".join(w[0] for w in words)
    lowers = [w[1] for w in words]
    content_lowers = [w for w in lowers if w not in ("the", "a", "an", ",", "-", "’s", "'s")]
    if len(content_lowers) == 1 and content_lowers[0] in PRONOUNS:
        return SourceInfo("none", None, None, None, True)
    outlet = canonical_outlet(text)
    if outlet is None:
        # "RIA Novosti's correspondent" or "a report by RIA Novosti": find an outlet run inside.
        for i in range(len(words)):
            for n in (4, 3, 2, 1):
                chunk = " ".join(w[0] for w in words[i:i + n])
                if n <= len(words) - i and words[i][2] == "PROPN":
                    outlet = canonical_outlet(chunk)
                    if outlet:
                        break
            if outlet:
                break
    role_words = [w for w in lowers if w in ROLE_OFFICIAL or w in ROLE_EXPERT or w in ROLE_WITNESS]
    role = _role_phrase(words, role_words[0]) if role_words else None
    anonymous = (any(w in ANONYMOUS_HEADS for w in lowers) or any(w in ANONYMOUS_MARKERS for w in lowers))
    if person_names:
        name = person_names[0]
        if role_words:
            first = role_words[0]
            if first in ROLE_EXPERT:
                return SourceInfo("named-expert", role, name, None, False)
            if first in ROLE_WITNESS:
                return SourceInfo("named-witness", role, name, None, False)
            return SourceInfo("named-official", role, name, None, False)
        if any(w in EXPERT_AFFILIATIONS for w in lowers):
            return SourceInfo("named-expert", None, name, None, False)
        return SourceInfo("named-person", None, name, None, False)
    if outlet is not None and not anonymous:
        return SourceInfo("outlet", None, outlet, outlet, False)
    definite = lowers[0] in ("the", "this", "that")
    if anonymous:
        # "the source" refers back to a source introduced earlier in the article.
        backref = definite
        return SourceInfo("anonymous", role, None, outlet, backref)
    head = content_lowers[-1] if content_lowers else ""
    if head in DOCUMENT_HEADS or any(w in DOCUMENT_HEADS for w in content_lowers[-2:]):
        return SourceInfo("document", None, text, outlet, False)
    if role_words:
        # "officials", "a senior official", "the analyst": a role without a name.
        generic = role_words[0]
        if definite and len(content_lowers) <= 2:
            return SourceInfo("anonymous", role, None, None, True)
        if generic in ROLE_EXPERT:
            return SourceInfo("named-expert" if _has_propn(words) else "anonymous", role, None, None, False)
        return SourceInfo("anonymous", role, None, None, False)
    labels = {w[3] for w in words if w[3]}
    if labels & {"ORG", "GPE", "NORP", "FAC"} or head in ORG_HEADS or _has_propn(words):
        # The name is the phrase before an apposition or clause: "Brenmark, a logistics firm,"
        # and "Kasich, who finished second," name Brenmark and Kasich.
        head_words = list(itertools.takewhile(lambda w: w[0] not in (",", "\u2014", "\u2013", "(", "--"), words))
        return SourceInfo("organisation", None, normalise_entity(_strip_det(" ".join(w[0] for w in head_words) or text)),
                          None, False)
    return SourceInfo("none", None, None, None, False)


def _has_propn(words: list[tuple[str, str, str, str]]) -> bool:
    return any(w[2] == "PROPN" for w in words)


def _strip_det(text: str) -> str:
    return re.sub(r"^(the|The|a|A|an|An) ", "", text)


def _role_phrase(words: list[tuple[str, str, str, str]], role_word: str) -> str:
    """The role as written: the role noun with its modifiers and 'of ...' ("head of the Iraqi
    Turkmen Front", "Political analyst"), cut at names and commas."""
    idx = next(i for i, w in enumerate(words) if w[1] == role_word)
    start = idx
    while start > 0 and words[start - 1][2] in ("ADJ", "NOUN", "PROPN") and words[start - 1][3] != "PERSON":
        if words[start - 1][2] == "PROPN" and words[start - 1][3] == "":
            break
        start -= 1
    end = idx + 1
    if end < len(words) and words[end][1] == "of":
        end += 1
        while end < len(words) and words[end][0] not in (",", "(", ")", "—", "-"):
            end += 1
    return " ".join(w[0] for w in words[start:end])


def is_surname_of(short: str, full: str) -> bool:
    """True if ``short`` ("Muhtaroğlu") is the last name of ``full`` ("Heytem Haşim Muhtaroğlu")."""
    s = short.strip().lower()
    parts = full.lower().split()
    return len(parts) > 1 and s == parts[-1]


def relative_antecedent(doc: Any, rng: tuple[int, int]) -> tuple[int, int] | None:
    """The token range of the noun phrase a relative-pronoun source stands for, else None.

    In "the Nordmere News Agency, which cited an unnamed source", spaCy hangs the pronoun's
    clause ("which cited ...") on its antecedent as ``relcl``: the antecedent is that clause's
    head, with its left modifiers ("the Nordmere News Agency"). Only the name changes: the
    attribution's source span stays the pronoun, as annotated corpora (PolNeAR) mark it.
    """
    start, end = rng
    if end - start != 1 or doc[start].lower_ not in RELATIVE_PRONOUNS:
        return None
    clause = doc[start].head
    if clause.dep_ != "relcl" or clause.head.pos_ not in ("NOUN", "PROPN"):
        return None
    noun = clause.head
    # "a source close to the Kremlin, who ...": spaCy hangs the clause on the nearest noun, the
    # object of a preposition; the antecedent is the noun that phrase modifies ("a source").
    # The parser sometimes hangs that phrase on the verb ("came from a diplomat from Saudi
    # Arabia, who said"): a noun just before the preposition is then what it modifies. After a
    # verb ("began with the Nordmere News Agency, which ...") the object is the antecedent.
    while noun.dep_ == "pobj":
        prep = noun.head
        up = prep.head
        while up.pos_ not in ("NOUN", "PROPN") and up.dep_ in ("amod", "acl", "advmod", "prep") and up.head.i < up.i:
            up = up.head
        if up.pos_ not in ("NOUN", "PROPN"):
            before = doc[prep.i - 1] if prep.i > 0 else None
            if before is None or before.pos_ not in ("NOUN", "PROPN"):
                break
            up = before
        noun = up
    return noun.left_edge.i, clause.head.i + 1
