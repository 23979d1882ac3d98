"""Boundary errors of the cue on the held-out fifth of train (fold models from --holdout-only --output).

Saves predictions to /tmp/attr5b/pred_fold.pkl and prints, for every gold cue that overlaps a predicted
cue without matching it, which tokens gold has that we lack (and the reverse), by pattern."""
import pickle
import sys
from collections import Counter
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, '/work/main'); sys.path.insert(0, '/work/main/bench')
import train_attribution as T  # noqa: E402
from attribution import load_split  # noqa: E402

from newstrace.attribution import extract_attributions  # noqa: E402
from newstrace.attribution_model import load_tagger  # noqa: E402

FOLD = Path('/tmp/attrw/fold')
# argv[1]: a boundary model to apply (or 'none'), argv[2]: a tag for the prediction cache
BOUNDARY = sys.argv[1] if len(sys.argv) > 1 else 'none'
TAG = sys.argv[2] if len(sys.argv) > 2 else 'fold'
OUT = Path('/tmp/attr5b'); OUT.mkdir(exist_ok=True)
arts = load_split('train'); texts = [t for _, t, _ in arts]; spans = [g for _, _, g in arts]
parsed = T.parse_split('train', texts, Path('/tmp/attr_cache'))
held = [k for k in range(len(arts)) if k % 5 == 0]
hp = [parsed[k] for k in held]
pk = OUT / f'pred_{TAG}.pkl'
if pk.exists():
    preds = pickle.loads(pk.read_bytes())
else:
    T.set_tensors(hp)
    model = T.load_model_file(FOLD / 'attribution.json.gz')
    model = replace(model, tagger=load_tagger.__wrapped__(FOLD / 'attribution_tagger.json.gz'),
                    thresholds={**model.thresholds, 'tagger_weight': 0.5})
    if BOUNDARY != 'none':
        from newstrace.attribution_boundary import load_boundary
        model = replace(model, boundary=replace(load_boundary.__wrapped__(Path(BOUNDARY)), tagger_weight=0.5))
    preds = [[(a.cue.start, a.cue.end) for a in extract_attributions(texts[k], parsed=docs, model=model)]
             for k, docs in zip(held, hp)]
    pk.write_bytes(pickle.dumps(preds))

missing, extra, pairs = Counter(), Counter(), Counter()
n_boundary = 0
examples = []
for k, docs, pred in zip(held, hp, preds):
    text = texts[k]
    for off, doc in docs:
        end = off + len(doc.text)
        for g in spans[k]['cue']:
            if not (off <= g[0] and g[1] <= end) or g in pred:
                continue
            over = [p for p in pred if p[0] < g[1] and g[0] < p[1]]
            if not over:
                continue
            n_boundary += 1
            p = over[0]
            toks = list(doc)
            def words(a, b):
                return [t for t in toks if a <= off + t.idx and off + t.idx + len(t) <= b]
            gw = {t.i for t in words(*g)}; pw = {t.i for t in words(*p)}
            miss = [doc[i] for i in sorted(gw - pw)]; ext = [doc[i] for i in sorted(pw - gw)]
            def pat(ts, side):
                return " ".join(f"{t.lower_ if t.pos_ in ('ADP','PART','AUX','ADV','DET','PRON','SCONJ','CCONJ','PUNCT') else t.pos_}/{t.dep_}" for t in ts)
            if miss: missing[pat(miss, 'm')] += 1
            if ext: extra[pat(ext, 'e')] += 1
            pairs[('gold>' if miss and not ext else 'pred>' if ext and not miss else 'both')] += 1
            examples.append((text[g[0]:g[1]], text[p[0]:p[1]]))
print('boundary errors', n_boundary, dict(pairs))
print('\nTOKENS GOLD HAS, WE LACK (pattern count):')
for p, c in missing.most_common(45): print(f'{c:4d}  {p}')
print('\nTOKENS WE HAVE, GOLD LACKS:')
for p, c in extra.most_common(35): print(f'{c:4d}  {p}')
print('\nEXAMPLES gold || pred')
for g, p in examples[:60]: print(f'  {g!r} || {p!r}')
