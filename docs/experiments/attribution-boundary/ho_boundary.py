"""Held-out fifth of train: the fold's linear + LSTM models (saved by --holdout-only --output) with a
boundary model trained on the other four fifths, at each tagger weight. Usage: ho_boundary.py [weights...]"""
import sys
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, '/work/main'); sys.path.insert(0, '/work/main/bench')
import train_attribution as T  # noqa: E402
from attribution import load_split  # noqa: E402

from newstrace.attribution_boundary import BoundaryModel, load_boundary  # noqa: E402
from newstrace.attribution_model import load_tagger  # noqa: E402

FOLD = Path('/tmp/attrw/fold')
OUT = Path('/tmp/attr5b/fold_boundary.json.gz')
arts = load_split('train'); texts = [t for _, t, _ in arts]; spans = [g for _, _, g in arts]
golds = [T.gold_triples('train', n, t) for n, t, _ in arts]
parsed = T.parse_split('train', texts, Path('/tmp/attr_cache'))
held = [k for k in range(len(arts)) if k % 5 == 0]
rest = [k for k in range(len(arts)) if k % 5 != 0]
if OUT.exists():
    boundary = load_boundary.__wrapped__(OUT)
else:
    boundary = T.train_boundary([parsed[k] for k in rest], [golds[k] for k in rest])
    boundary.save(OUT)
hp = [parsed[k] for k in held]; T.set_tensors(hp)
ht = [texts[k] for k in held]; hg = [spans[k] for k in held]
model = T.load_model_file(FOLD / 'attribution.json.gz')
model = replace(model, tagger=load_tagger.__wrapped__(FOLD / 'attribution_tagger.json.gz'),
                thresholds={**model.thresholds, 'tagger_weight': 0.5})
for w in sys.argv[1:]:
    t0 = time.time()
    m = model if w == 'none' else replace(model, boundary=BoundaryModel(boundary.bias, boundary.weights, float(w)))
    r = T.evaluate(hp, ht, hg, m)
    print(T._line(f'boundary tagger_weight {w}', r), ' cue P/R %.1f/%.1f' % (100 * r['cue']['exact_p'], 100 * r['cue']['exact_r']),
          f'({time.time() - t0:.0f}s)', flush=True)
