"""Who said what: attribution spans (source, cue, content) from spaCy's dependency parse.

Evidence, in order of use:
- a cue lexicon of reporting and belief verbs (``CUE_LEMMAS``: hand-written, extended with the
  lemmas that are cues most of the time in PolNeAR *train*), found as verbs in the parse;
- dependency patterns around the cue: the subject (or passive agent, or the noun a reduced
  clause hangs on: ", a military-diplomatic source told RIA Novosti") is the source; the clausal
  complement ("that ..."), the clause the cue interrupts (", he said,") or a direct object is
  the content; "according to X" and "X said:" / "RT reports:" forms;
- quotation marks: a content that touches a quotation grows to the whole quotation, also across
  sentences, and the quote is then direct (whole content quoted), mixed or indirect.
The recipient of "told RIA Novosti" / "told Sputnik" becomes the cited outlet. Sources are
classified and back-references resolved in ``attribution_sources``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from typing import Any

from .attribution_sources import (
    PRONOUNS,
    SourceInfo,
    canonical_outlet,
    classify_source,
    is_surname_of,
    relative_antecedent,
)
from .config import Setting

SETTINGS = (
    Setting("attribution.min_checkworthiness", 0.35,
            "claims scoring below this check-worthiness (0..1) are not stored"),
    Setting("attribution.min_story_size", 2,
            "the claims stage processes articles in stories of at least this many articles"),
)

#: Reporting, speech-act and belief verbs whose subject is a source. Hand-written core, plus
#: lemmas that are annotated cues in most of their verb uses in PolNeAR train.
CUE_LEMMAS = frozenset(
    """say tell claim report add note suggest explain detail accuse argue announce insist warn
    write state confirm deny believe think assert allege contend declare estimate predict reveal
    admit acknowledge concede stress emphasize emphasise maintain reiterate recall respond reply
    ask tweet post quote cite complain criticize criticise praise urge describe doubt fear hope
    expect promise vow pledge threaten indicate testify disclose inform assure caution observe
    remark comment question dispute reject agree conclude recount boast charge
    blame call mention proclaim speculate forecast clarify worry wonder demand order recommend
    propose highlight signal"""
    # Verbs that are annotated cues in at least half of their verb uses in PolNeAR train.
    """show point endorse refer refuse defend discuss decline express denounce echo mock prefer
    dismiss condemn envision remind imply list portray joke blast recite tout rebut email
    articulate assail decry lament scoff allude slam""".split()
)
#: Prepositional cues whose preposition belongs to the cue ("pointed to", "referring to").
PREP_CUES = frozenset("point refer allude call rail scoff pounce".split())
#: Cues whose direct object is what was said ("denied the report"), not the listener.
OBJECT_CONTENT_LEMMAS = frozenset(
    """deny confirm announce describe criticize criticise praise cite quote reject dispute
    mention reveal disclose question report predict blame propose recommend demand
    highlight acknowledge admit""".split()
)
#: Verbs whose direct object is the listener ("told RIA Novosti", "informed reporters").
RECIPIENT_LEMMAS = frozenset("tell inform assure brief ask warn urge remind".split())

QUOTE_PAIRS = (("\u201c", "\u201d"), ('"', '"'), ("''", "''"), ("\u00ab", "\u00bb"), ("``", "''"))
_QUOTE_RE = re.compile(r"[\u201c\"][^\u201c\u201d\"\n]*[\u201d\"]?|\u00ab[^\u00bb\n]*\u00bb?|''(?:(?!'').)*''|``(?:(?!'').)*''")
_TRIM_CHARS = " \t\n,;:.\u2014\u2013-"
QUOTE_CHARS = "\"\u201c\u201d\u00ab\u00bb'"


@dataclass(frozen=True)
class Span:
    start: int
    end: int
    text: str


@dataclass(frozen=True)
class Attribution:
    """One attribution in a text. Offsets are character offsets into the text given."""

    sentence_idx: int
    cue: Span
    source: Span | None
    content: Span | None
    quote: str  # direct | indirect | mixed
    source_kind: str
    source_role: str | None = None
    source_name: str | None = None
    cited_outlet: str | None = None
    resolved_from: int | None = None  # index of the earlier attribution a back-reference names
    outlet_inherited: bool = False  # cited_outlet comes from the resolved mention, not this text

    def as_dict(self) -> dict[str, Any]:
        def span(s: Span | None) -> dict[str, Any] | None:
            return None if s is None else {"start": s.start, "end": s.end, "text": s.text}

        return {
            "sentence_idx": self.sentence_idx, "source": span(self.source), "cue": span(self.cue),
            "content": span(self.content), "quote": self.quote, "source_kind": self.source_kind,
            "source_role": self.source_role, "source_name": self.source_name,
            "cited_outlet": self.cited_outlet, "resolved_from": self.resolved_from,
            "outlet_inherited": self.outlet_inherited,
        }


@dataclass
class _Raw:
    """A candidate before classification: token-level spans in one paragraph doc."""

    cue: tuple[int, int]
    source: tuple[int, int] | None
    content: tuple[int, int] | None
    recipient: tuple[int, int] | None
    source_root: int | None


# -- parsing ---------------------------------------------------------------------------------
def paragraphs(text: str) -> Iterator[tuple[int, str]]:
    """(offset, paragraph) for each non-empty line of ``text``; attributions never cross one."""
    pos = 0
    for line in text.split("\n"):
        if line.strip():
            yield pos, line
        pos += len(line) + 1


def parse(text: str, nlp: Any = None, batch_size: int = 64) -> list[tuple[int, Any]]:
    """spaCy docs of each paragraph of ``text``, with their character offsets."""
    if nlp is None:
        from .models import spacy_nlp

        nlp = spacy_nlp()
    paras = list(paragraphs(text))
    docs = nlp.pipe((p for _, p in paras), batch_size=batch_size)
    return [(offset, doc) for (offset, _), doc in zip(paras, docs, strict=True)]


def parse_many(texts: list[str], nlp: Any = None, batch_size: int = 256) -> list[list[tuple[int, Any]]]:
    """``parse`` for many texts at once: one ``nlp.pipe`` stream over every paragraph, so that
    spaCy batches across articles (faster than one ``parse`` per short article)."""
    if nlp is None:
        from .models import spacy_nlp

        nlp = spacy_nlp()
    paras = [(k, offset, p) for k, text in enumerate(texts) for offset, p in paragraphs(text)]
    out: list[list[tuple[int, Any]]] = [[] for _ in texts]
    docs = nlp.pipe((p for _, _, p in paras), batch_size=batch_size)
    for (k, offset, _), doc in zip(paras, docs, strict=True):
        out[k].append((offset, doc))
    return out


def extract_many(texts: list[str], nlp: Any = None, *, rules_only: bool = False) -> list[list[Attribution]]:
    """``extract_attributions`` for each of ``texts``, parsed in one batched stream."""
    return [extract_attributions(text, parsed=docs, rules_only=rules_only)
            for text, docs in zip(texts, parse_many(texts, nlp), strict=True)]


# -- candidate extraction -----------------------------------------------------------------------
def _subtree_range(tok: Any, exclude: Any = None) -> tuple[int, int]:
    """Token range [i, j) of ``tok``'s subtree, cut before ``exclude``'s subtree if it is inside."""
    left, right = tok.left_edge.i, tok.right_edge.i + 1
    if exclude is not None and left <= exclude.i < right:
        ex_left, ex_right = exclude.left_edge.i, exclude.right_edge.i + 1
        if ex_left - left > 2 and right - ex_right > 2:
            return left, right  # an interrupting "he said": keep the whole extent
        if ex_left - left >= right - ex_right:
            right = ex_left
        else:
            left = ex_right
    return left, right


def _is_cue_verb(tok: Any) -> bool:
    if tok.lemma_.lower() not in CUE_LEMMAS or tok.pos_ not in ("VERB", "AUX"):
        return False
    if tok.dep_ in ("amod", "compound", "nmod", "pobj", "dobj", "nsubj"):
        return False
    return True


def _subject(tok: Any) -> tuple[Any | None, bool]:
    """The source token for cue ``tok`` and whether it came through a passive agent."""
    for child in tok.children:
        if child.dep_ == "agent":
            objs = [c for c in child.children if c.dep_ == "pobj"]
            if objs:
                return objs[0], True
    for child in tok.children:
        if child.dep_ in ("nsubj", "csubj"):
            return child, False
    # "..., adding that", "he said, noting": the subject of the verb this one hangs on.
    if tok.dep_ in ("conj", "advcl", "xcomp") and tok.head is not tok:
        if tok.dep_ != "advcl" or tok.tag_ == "VBG":
            sub, agent = _subject(tok.head) if tok.head.lemma_.lower() in CUE_LEMMAS else (None, False)
            if sub is not None:
                return sub, agent
            if tok.dep_ == "conj":
                return _subject(tok.head)
    # ", a military-diplomatic source told RIA Novosti": the parser hangs the verb on the noun.
    if tok.dep_ in ("acl", "relcl") and tok.head.i < tok.i and tok.head.pos_ in ("NOUN", "PROPN"):
        return tok.head, False
    return None, False


def _candidates(doc: Any) -> list[_Raw]:
    found: list[_Raw] = []
    for tok in doc:
        low = tok.lower_
        if low == "according" and tok.i + 1 < len(doc) and doc[tok.i + 1].lower_ == "to":
            to = doc[tok.i + 1]
            objs = [c for c in to.children if c.dep_ == "pobj"]
            source = _subtree_range(objs[0]) if objs else None
            sent = tok.sent
            phrase_end = source[1] if source else to.i + 1
            # The content is the rest of the sentence around "according to X".
            around = (phrase_end, sent.end) if tok.i - sent.start <= 1 else (sent.start, tok.i)
            found.append(_Raw((tok.i, to.i + 1), source, around, None, objs[0].i if objs else None))
            continue
        if not _is_cue_verb(tok):
            continue
        sub, via_agent = _subject(tok)
        source = None
        if sub is not None:
            if tok.dep_ in ("acl", "relcl") and sub.i == tok.head.i:
                source = _subtree_range(sub, exclude=tok)
            else:
                source = _subtree_range(sub)
        cue_start, cue_end = tok.i, tok.i + 1
        for child in tok.children:
            if child.i == cue_end and (child.dep_ == "prt" or child.dep_ == "prep" and tok.lemma_.lower() in PREP_CUES):
                cue_end += 1
        # Auxiliaries, negation and adverbs right before the verb belong to the cue in PolNeAR's
        # convention ("did not mention", "is expected", "also said").
        while cue_start > 0:
            prev = doc[cue_start - 1]
            if prev.head.i == tok.i and prev.dep_ in ("aux", "auxpass", "neg", "advmod") and prev.pos_ != "PUNCT":
                cue_start -= 1
            else:
                break
        agent = next((c for c in tok.children if c.dep_ == "agent"), None)
        if via_agent and agent is not None:
            cue_end = max(cue_end, agent.i + 1)
        recipient: tuple[int, int] | None = None
        content: tuple[int, int] | None = None
        for child in tok.children:
            if child.dep_ in ("dobj", "dative") and tok.lemma_.lower() in RECIPIENT_LEMMAS:
                recipient = _subtree_range(child)
        complements = [c for c in tok.children if c.dep_ in ("ccomp", "xcomp")]
        if complements:
            comp = complements[0]
            content = _subtree_range(comp)
            # A complement that includes the cue itself (parse error) is no content.
            if content[0] <= tok.i < content[1]:
                content = None
        if content is None:
            colon = next((c for c in doc[cue_end:min(len(doc), cue_end + 4)] if c.text == ":"), None)
            if colon is not None and (recipient is None or recipient[1] <= colon.i):
                content = (colon.i + 1, tok.sent.end)
        if content is None and tok.dep_ == "parataxis" and tok.head.i != tok.i:
            content = _subtree_range(tok.head, exclude=tok)
        if content is None and tok.dep_ in ("acl", "relcl") and sub is not None and sub.i == tok.head.i:
            # "<content>, a source told RIA Novosti." The content is what precedes the source.
            sent = tok.sent
            if source is not None and source[0] > sent.start:
                content = (sent.start, source[0])
        if content is None and tok.lemma_.lower() in OBJECT_CONTENT_LEMMAS:
            objs = [c for c in tok.children if c.dep_ == "dobj"]
            if objs:
                content = _subtree_range(objs[0])
        if content is None and tok.dep_ == "ROOT" and source is not None:
            # "The militants will leave, he said." when the parser gives no ccomp.
            before = (tok.sent.start, source[0])
            if before[1] - before[0] >= 3:
                content = before
        if content is None and source is None:
            continue
        found.append(_Raw((cue_start, cue_end), source, content, recipient, sub.i if sub is not None else None))
    return found


# -- spans and quotes ---------------------------------------------------------------------------
def quotations(paragraph: str) -> list[tuple[int, int]]:
    """Character ranges of quotations in a paragraph, marks included. An unclosed quotation
    runs to the end of the paragraph (news style for a quote continued in the next one)."""
    out = []
    for match in _QUOTE_RE.finditer(paragraph):
        start, end = match.span()
        if end - start >= 3:
            out.append((start, end))
    return out


_CLOSING_PUNCT = re.compile(r"\s*[,\u2014\u2013]")


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    """Strip white space and outer punctuation, but keep a closing quotation mark together with
    the punctuation it encloses (PolNeAR's convention: '... maniacal,”' stays whole)."""
    while start < end and text[start] in _TRIM_CHARS:
        start += 1
    while end > start and text[end - 1] in _TRIM_CHARS:
        end -= 1
    return start, end


def _char_range(doc: Any, tokens: tuple[int, int]) -> tuple[int, int]:
    i, j = tokens
    if j <= i:
        pos = doc[i].idx if i < len(doc) else len(doc.text)
        return pos, pos
    return doc[i].idx, doc[j - 1].idx + len(doc[j - 1])


def _quote_kind(text: str, start: int, end: int, quotes: list[tuple[int, int]]) -> str:
    inside = sum(max(0, min(end, q1) - max(start, q0)) for q0, q1 in quotes)
    length = max(1, end - start)
    if inside >= length * 0.9:
        return "direct"
    if inside > 0:
        return "mixed"
    return "indirect"


def _grow_to_quotes(start: int, end: int, quotes: list[tuple[int, int]], avoid: list[tuple[int, int]]) -> tuple[int, int]:
    """Grow a content range to cover every quotation it touches, without swallowing the
    source or cue (``avoid``)."""
    for q0, q1 in quotes:
        if q0 < end and q1 > start:
            new_start, new_end = min(start, q0), max(end, q1)
            if any(new_start < a1 and a0 < new_end and not (start < a1 and a0 < end) for a0, a1 in avoid):
                continue
            start, end = new_start, new_end
    return start, end


def _sentence_index(starts: list[int], offset: int) -> int:
    import bisect

    return max(0, bisect.bisect_right(starts, offset) - 1)


def _source_words(doc: Any, rng: tuple[int, int]) -> tuple[list[tuple[str, str, str, str]], list[str]]:
    words = [(t.text, t.lemma_.lower() if t.pos_ != "PROPN" else t.lower_, t.pos_, t.ent_type_)
             for t in doc[rng[0]:rng[1]]]
    names = [e.text for e in doc[rng[0]:rng[1]].ents if e.label_ == "PERSON"]
    if not names:
        names = _propn_names(doc, rng)
    return words, names


def _propn_names(doc: Any, rng: tuple[int, int]) -> list[str]:
    """Names the NER missed or mislabelled: a run of two or more capitalised proper nouns that is
    the head of the span or stands in apposition to a role ("Heytem Haşim Muhtaroğlu, head of
    ..."), follows a role noun as its title ("analyst Helena Sorvik", which the small model
    calls an ORG), or opens a "who" clause ("Helena Sorvik, who teaches ..."): English uses
    "who" for people, "which" for organisations."""
    from .attribution_sources import ORG_HEADS, ROLE_EXPERT, ROLE_OFFICIAL, ROLE_WITNESS

    roles = ROLE_OFFICIAL | ROLE_EXPERT | ROLE_WITNESS
    span = doc[rng[0]:rng[1]]
    has_role = any(t.lower_ in roles for t in span)
    runs: list[list[Any]] = []
    for t in span:
        if t.pos_ == "PROPN" and t.text[:1].isupper() and t.ent_type_ not in ("GPE", "NORP") and canonical_outlet(t.text) is None:
            if runs and runs[-1][-1].i == t.i - 1:
                runs[-1].append(t)
            else:
                runs.append([t])
    for run in runs:
        last = run[-1]
        if len(run) < 2:
            continue
        who_clause = any(c.dep_ == "relcl" and any(g.lower_ == "who" and g.dep_ in ("nsubj", "nsubjpass")
                                                   for g in c.children) for c in last.children)
        if not (has_role or who_clause):
            continue
        heads_span = last.dep_ in ("nsubj", "nsubjpass", "pobj", "ROOT") and last.ent_type_ != "ORG"
        has_role_appos = any(c.dep_ == "appos" and c.lower_ in roles for c in last.children)
        title = doc[run[0].i - 1] if run[0].i > span.start else None
        titled = title is not None and title.pos_ == "NOUN" and title.lower_ in roles - ORG_HEADS
        if heads_span or has_role_appos or titled or who_clause:
            return [" ".join(t.text for t in run)]
    return []


#: A rule cue is kept when the tagger gives one of its tokens at least this probability.
RULE_CUE_FLOOR = 0.3

RuleItem = tuple[_Raw, tuple[int, int], tuple[int, int] | None, tuple[int, int] | None]


def rule_spans(doc: Any, quotes: list[tuple[int, int]]) -> list[RuleItem]:
    """The rules' attributions of one paragraph doc: (raw, cue, source, content), the last three
    as character ranges of the paragraph."""
    para = doc.text
    taken: list[tuple[int, int]] = []
    out: list[RuleItem] = []
    for raw in sorted(_candidates(doc), key=lambda r: r.cue[0]):
        cue_c = _char_range(doc, raw.cue)
        if any(cue_c[0] < b and a < cue_c[1] for a, b in taken):
            continue
        src_c = _trim(para, *_char_range(doc, raw.source)) if raw.source else None
        avoid = [cue_c] + ([src_c] if src_c else [])
        con_c = None
        if raw.content is not None:
            con_c = _char_range(doc, raw.content)
            con_c = _grow_to_quotes(con_c[0], con_c[1], quotes, avoid)
            con_c = _trim_content(para, *con_c)
            if con_c[1] <= con_c[0]:
                con_c = None
        if src_c is None and con_c is None:
            continue
        taken.append(cue_c)
        out.append((raw, cue_c, src_c, con_c))
    return out


def _ws_trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


Candidates = list[tuple[tuple[int, int], list[str]]]


def span_candidates(doc: Any, quotes: list[tuple[int, int]], cue: tuple[int, int],
                    rule: RuleItem | None) -> tuple[Candidates, Candidates]:
    """Source and content candidates (paragraph character ranges with their features) for the
    cue at token range ``cue``; the rules' answer is always among them."""
    from .attribution_model import content_candidates, cue_head, is_passive, source_candidates, span_features

    para = doc.text
    head = cue_head(doc, cue)
    cue_c = _char_range(doc, cue)
    rule_src = rule[2] if rule else None
    rule_con = rule[3] if rule else None
    srcs: set[tuple[int, int]] = set()
    for rng in source_candidates(doc, cue, head):
        c = _trim(para, *_char_range(doc, rng))
        if c[1] > c[0]:
            srcs.add(c)
            # PolNeAR keeps the comma or dash that closes an apposition ("Dean Johnson, a
            # salesman from Sumter, South Carolina, says"). Held-out fold of train: source exact
            # F1 69.3 -> 72.2.
            closing = _CLOSING_PUNCT.match(para, c[1])
            if closing:
                srcs.add((c[0], closing.end()))
    if rule_src:
        srcs.add(rule_src)
    cons: set[tuple[int, int]] = set()
    for c0, c1 in content_candidates(doc, cue, head, quotes):
        plain = _ws_trim(para, c0, c1)
        # PolNeAR often keeps the sentence's final stop or colon in the content.
        stop = (plain[0], plain[1] + 1) if plain[1] < len(para) and para[plain[1]] in ".:?!" else plain
        for c in (_trim_content(para, c0, c1), plain, stop):
            overlaps = c[0] < cue_c[1] and cue_c[0] < c[1]
            # A content may enclose its cue only as the extent of a quotation interrupted by it
            # ("“...,” he said, “...”"): quotation marks on both sides; or around a passive cue
            # ("Trump is expected to deliver ...", PolNeAR's convention).
            around = c[0] <= cue_c[0] and cue_c[1] <= c[1] and (
                (any(ch in QUOTE_CHARS for ch in para[c[0]:cue_c[0]]) and any(ch in QUOTE_CHARS for ch in para[cue_c[1]:c[1]]))
                or is_passive(head))
            if c[1] > c[0] and (not overlaps or around):
                cons.add(c)
    if rule_con:
        cons.add(rule_con)
    return ([(c, span_features(doc, cue, head, c, quotes, c == rule_src, "source")) for c in sorted(srcs)],
            [(c, span_features(doc, cue, head, c, quotes, c == rule_con, "content")) for c in sorted(cons)])


def rule_cue_tokens(doc: Any, rules: list[RuleItem]) -> set[int]:
    return {i for raw, _, _, _ in rules for i in range(raw.cue[0], raw.cue[1])}


def _best(model: Any, cands: Candidates, threshold: float, rank: Any = None) -> tuple[int, int] | None:
    """The candidate ``model`` finds most probable, if at least ``threshold``; with a ``rank``er
    (``attribution_content_rank``), the one it scores highest among those at least ``threshold``."""
    if rank is not None:
        kept = [(rng, feats) for rng, feats in cands if model.prob(feats) >= threshold]
        return max(kept, key=lambda c: rank.score(c[1]))[0] if kept else None
    best, best_p = None, threshold
    for rng, feats in cands:
        p = model.prob(feats)
        if p >= best_p:
            best, best_p = rng, p
    return best


def model_spans(doc: Any, quotes: list[tuple[int, int]], model: Any) -> list[RuleItem]:
    """The learned model's attributions of one paragraph doc, in the rules' format."""
    from .attribution_boundary import rebound_cues
    from .attribution_model import cue_head, decode_cues, is_passive

    rules = rule_spans(doc, quotes)
    tag_probs = model.cue_probs(doc, quotes, rule_cue_tokens(doc, rules), CUE_LEMMAS)
    probs = [b + i for _, b, i in tag_probs]  # P(token is part of a cue)
    out: list[RuleItem] = []
    cues = decode_cues(doc, tag_probs)
    # A rule cue the tagger nearly accepts (", a source told RIA Novosti", which the parser hangs
    # on the noun) is kept: the tagger's features see that construction rarely in PolNeAR.
    for raw, _, _, _ in rules:
        if not any(a < raw.cue[1] and raw.cue[0] < b for a, b in cues) and max(probs[raw.cue[0]:raw.cue[1]]) >= RULE_CUE_FLOOR:
            cues.append(raw.cue)
    if model.boundary is not None:
        cues = rebound_cues(doc, cues, tag_probs, model.boundary)
    # A content does not swallow another cue outside quotation marks ("described the closure as
    # ..., saying the terminal would shut"): 0.6% of PolNeAR train's gold contents hold another
    # cue. A passive cue may stay inside ("..., and inspectors have been told not to open them":
    # the instruction is part of what the source said). Held-out fold of train: exact F1 source
    # 69.6 -> 69.3, cue 70.7 -> 71.6, content 58.2 -> 59.5 (59.4 without the passive exception).
    bare = [c for c in (_char_range(doc, c) for c in cues if not is_passive(cue_head(doc, c)))
            if not any(q0 <= c[0] and c[1] <= q1 for q0, q1 in quotes)]
    for cue in sorted(cues):
        cue_c = _char_range(doc, cue)
        rule = next((r for r in rules if r[1][0] < cue_c[1] and cue_c[0] < r[1][1]), None)
        src_cands, con_cands = span_candidates(doc, quotes, cue, rule)
        src_c = _best(model.source, src_cands, model.thresholds["source"])
        head = cue_head(doc, cue)
        recipient = None
        if head.lemma_.lower() in RECIPIENT_LEMMAS:
            obj = next((c for c in head.children if c.dep_ in ("dobj", "dative")), None)
            if obj is not None:
                recipient = _subtree_range(obj)
                # The listener of "told RIA Novosti" is not what was said.
                rec_c = _char_range(doc, recipient)
                con_cands = [(rng, f) for rng, f in con_cands if not (rec_c[0] <= rng[0] and rng[1] <= rec_c[1])]
        if src_c is not None:
            # One label per token (PolNeAR): a content may enclose the source only around the
            # cue ("“...,” he said, “...”"), never overlap it otherwise.
            con_cands = [(rng, f) for rng, f in con_cands if not (rng[0] < src_c[1] and src_c[0] < rng[1])
                         or rng[0] <= cue_c[0] and cue_c[1] <= rng[1]]
        others = [c for c in bare if c != cue_c]
        con_cands = [(rng, f) for rng, f in con_cands if not any(rng[0] <= c0 and c1 <= rng[1] for c0, c1 in others)]
        con_c = _best(model.content, con_cands, model.thresholds["content"], rank=model.content_rank)
        if src_c is not None and con_c is not None and src_c[0] < con_c[1] and con_c[0] < src_c[1] and is_passive(head):
            # "Trump is expected to deliver ...": the subject of a passive cue is what is
            # expected, inside the content, not who expects it (PolNeAR marks no source).
            src_c = None
        src_tok = None
        if src_c is not None:
            span = doc.char_span(src_c[0], src_c[1], alignment_mode="expand")
            src_tok = (span.start, span.end) if span is not None else None
        raw = _Raw(cue, src_tok, None, recipient, None)
        out.append((raw, cue_c, src_c, con_c))
    return out


def extract_attributions(text: str, nlp: Any = None, *, parsed: list[tuple[int, Any]] | None = None,
                         rules_only: bool = False, model: Any = None) -> list[Attribution]:
    """Every attribution in ``text``, in reading order, with character offsets into ``text``.

    The learned model (``attribution_model``, or ``model`` if given) finds the spans when it is
    packaged; ``rules_only`` uses the hand-written rules alone."""
    from .attribution_model import load_model
    from .sentences import split_sentences

    if rules_only:
        model = None
    elif model is None:
        model = load_model()
    starts = [s.start for s in split_sentences(text)]
    docs = parsed if parsed is not None else parse(text, nlp)
    out: list[Attribution] = []
    infos: list[SourceInfo] = []
    for offset, doc in docs:
        para = doc.text
        quotes = quotations(para)
        items = model_spans(doc, quotes, model) if model is not None else rule_spans(doc, quotes)
        for raw, cue_c, src_c, con_c in items:
            if src_c is None and con_c is None:
                continue
            info = classify_source(*_source_words(doc, raw.source)) if raw.source else SourceInfo("none", None, None, None, False)
            antecedent = relative_antecedent(doc, raw.source) if raw.source else None
            if antecedent is not None:
                # "the agency, which cited ...": the antecedent's name and kind; the span stays "which".
                info = classify_source(*_source_words(doc, antecedent))
            cited = None
            if raw.recipient is not None:
                cited = canonical_outlet(doc[raw.recipient[0]:raw.recipient[1]].text)
            if cited is None and info.kind == "outlet":
                cited = info.outlet
            elif cited is None and info.outlet and info.kind == "anonymous":
                cited = info.outlet
            info = replace(info, outlet=cited)
            quote = _quote_kind(para, con_c[0], con_c[1], quotes) if con_c else "indirect"

            out.append(Attribution(
                sentence_idx=_sentence_index(starts, offset + cue_c[0]), cue=_span(para, offset, cue_c),
                source=_span(para, offset, src_c) if src_c else None,
                content=_span(para, offset, con_c) if con_c else None, quote=quote, source_kind=info.kind,
                source_role=info.role, source_name=info.name, cited_outlet=cited,
            ))
            infos.append(info)
    # PolNeAR's convention, and a reader's: a cue inside another attribution's content ("I think"
    # within a quotation) is part of what was said, not a separate attribution.
    keep = [i for i, a in enumerate(out) if not any(
        b.content is not None and b is not a and b.content.start <= a.cue.start and a.cue.end <= b.content.end
        and not (a.content is not None and a.content.start <= b.cue.start < a.content.end)
        for b in out)]
    out = [out[i] for i in keep]
    infos = [infos[i] for i in keep]
    return resolve_backrefs(out, infos, docs)


def _span(para: str, offset: int, rng: tuple[int, int]) -> Span:
    return Span(offset + rng[0], offset + rng[1], para[rng[0]:rng[1]])


def _trim_content(para: str, start: int, end: int) -> tuple[int, int]:
    start, end = _trim(para, start, end)
    # Keep the punctuation a closing quote encloses: '... maniacal,”'.
    while end < len(para) and para[end - 1] in ",." and para[end:end + 1] in QUOTE_CHARS:
        end += 1
    if start > 0 and para[start - 1] in QUOTE_CHARS and para[start - 1] != "'" and end > start and para[end - 1] in QUOTE_CHARS:
        start -= 1
    return start, end


def resolve_backrefs(atts: list[Attribution], infos: list[SourceInfo], docs: Iterable[tuple[int, Any]]) -> list[Attribution]:
    """Give back-references ("he", "the source", a bare surname) the name and kind of the
    nearest earlier attribution (or PERSON mention) they can refer to, in the same article."""
    persons: list[tuple[int, str]] = []  # (char offset, name) of PERSON mentions, in order
    for offset, doc in docs:
        for ent in doc.ents:
            if ent.label_ == "PERSON" and len(ent.text.split()) >= 2:
                persons.append((offset + ent.start_char, ent.text))
    out: list[Attribution] = []
    for att, info in zip(atts, infos, strict=True):
        if att.source is None:
            out.append(att)
            continue
        src = att.source.text.strip().rstrip(",\u2014\u2013 ")  # the apposition's closing comma
        low = src.lower()
        target: int | None = None
        if info.is_backref and low.split()[-1] in PRONOUNS:
            target = _last(out, lambda a: a.source_kind != "none" and a.source_kind not in ("organisation", "document", "outlet") or a.source_name is not None and a.source_kind != "organisation")
        elif info.is_backref:
            head = low.split()[-1]
            target = _last(out, lambda a, head=head: a.source is not None and head in a.source.text.lower()
                           and a.source_kind not in ("outlet", "organisation", "document"))
        elif info.kind in ("named-person", "organisation") and len(src.split()) == 1:
            target = _last(out, lambda a, src=src: a.source_name is not None and is_surname_of(src, a.source_name))
            if target is None:
                full = next((n for _, n in reversed(persons) if is_surname_of(src, n)), None)
                if full is not None:
                    out.append(replace(att, source_kind="named-person", source_name=full))
                    continue
        if target is not None:
            ref = out[target]
            origin = ref.resolved_from if ref.resolved_from is not None else target
            out.append(replace(
                att, source_kind=ref.source_kind, source_role=ref.source_role,
                source_name=ref.source_name or (ref.source.text if ref.source else None),
                resolved_from=origin, cited_outlet=att.cited_outlet or ref.cited_outlet,
                outlet_inherited=att.cited_outlet is None and ref.cited_outlet is not None,
            ))
        else:
            if info.is_backref and low.split()[-1] in PRONOUNS:
                # No earlier attribution: fall back to the nearest PERSON named before.
                before = [n for pos, n in persons if pos < att.source.start]
                if before:
                    out.append(replace(att, source_kind="named-person", source_name=before[-1]))
                    continue
            out.append(att)
    return out


def _last(atts: list[Attribution], pred: Any) -> int | None:
    for j in range(len(atts) - 1, -1, -1):
        if pred(atts[j]):
            return j
    return None
