import sys
from collections import Counter
from dataclasses import replace
from pathlib import Path
sys.path.insert(0, '/work/main'); sys.path.insert(0, '/work/main/bench')
import train_attribution as T
from attribution import load_split
from newstrace.attribution import CUE_LEMMAS, quotations, rule_cue_tokens, rule_spans, extract_attributions
from newstrace.attribution_model import load_tagger
arts = load_split('train'); texts = [t for _, t, _ in arts]; spans = [g for _, _, g in arts]
parsed = T.parse_split('train', texts, Path('/tmp/attr_cache'))
held = [k for k in range(len(arts)) if k % 5 == 0]
hp = [parsed[k] for k in held]; T.set_tensors(hp)
model = T.load_model_file(Path('/tmp/attrw/fold/attribution.json.gz'))
model = replace(model, tagger=load_tagger.__wrapped__(Path('/tmp/attrw/fold/attribution_tagger.json.gz')), thresholds={**model.thresholds, 'tagger_weight': 0.5})
buckets = Counter(); overlap_missed = 0; total = 0; missed = 0
for k, docs in zip(held, hp):
    pred = {(a.cue.start, a.cue.end) for a in extract_attributions(texts[k], parsed=docs, model=model)}
    for off, doc in docs:
        end = off + len(doc.text)
        gold = [c for c in spans[k]['cue'] if off <= c[0] and c[1] <= end]
        if not gold: continue
        quotes = quotations(doc.text)
        probs = model.cue_probs(doc, quotes, rule_cue_tokens(doc, rule_spans(doc, quotes)), CUE_LEMMAS)
        for c in gold:
            total += 1
            if c in pred: continue
            missed += 1
            toks = [t.i for t in doc if t.idx < c[1] - off and c[0] - off < t.idx + len(t)]
            pb = max(probs[i][1] for i in toks) if toks else 0
            if any(p[0] < c[1] and c[0] < p[1] for p in pred): overlap_missed += 1; continue
            buckets['<0.1' if pb < 0.1 else '0.1-0.3' if pb < 0.3 else '0.3-0.5' if pb < 0.5 else '>=0.5'] += 1
print('gold cues', total, 'not exactly found', missed, 'of which overlapping a predicted cue (boundary)', overlap_missed)
print('no predicted cue overlapping; max P(B) over its tokens:', dict(buckets))
