"""Held-out fifth of train: linear cue taggers retrained on the other four fifths WITH cue-rate
features (cross-fitted), the fold's source / content rankers and LSTM as saved by --holdout-only
--output, with and without the fold's boundary model. Saves the cue-rate fold model."""
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
OUT = Path('/tmp/attr5b/fold_rates.json.gz')
arts = load_split('train'); texts = [t for _, t, _ in arts]; spans = [g for _, _, g in arts]
golds = [T.gold_triples('train', n, t) for n, t, _ in arts]
parsed = T.parse_split('train', texts, Path('/tmp/attr_cache'))
held = [k for k in range(len(arts)) if k % 5 == 0]
rest = [k for k in range(len(arts)) if k % 5 != 0]
base = T.load_model_file(FOLD / 'attribution.json.gz')
if OUT.exists():
    model = T.load_model_file(OUT)
else:
    rp, rg = [parsed[k] for k in rest], [golds[k] for k in rest]
    table = T.cue_rate_table(T.cue_rate_counts(rp, rg))
    print(f'cue-rate table: {len(table):,} words', flush=True)
    data = T.examples(rp, rg, T.cross_fitted_rates(rp, rg), cue_only=True)
    model = replace(base, cue_tags=T.train_cue_tags(data), cue_rates=table)
    model.save(OUT)
hp = [parsed[k] for k in held]; T.set_tensors(hp)
ht = [texts[k] for k in held]; hg = [spans[k] for k in held]
lstm = load_tagger.__wrapped__(FOLD / 'attribution_tagger.json.gz')
bnd = load_boundary.__wrapped__(Path('/tmp/attr5b/fold_boundary.json.gz'))
for w in sys.argv[1:]:
    t0 = time.time()
    name, _, b = w.partition('+')
    m = replace(model, tagger=lstm, thresholds={**model.thresholds, 'tagger_weight': float(name)})
    if b:
        m = replace(m, boundary=BoundaryModel(bnd.bias, bnd.weights, float(b)))
    r = T.evaluate(hp, ht, hg, m)
    print(T._line(f'rates, lstm {name}, boundary {b or "-"}', r), ' cue P/R %.1f/%.1f' % (100 * r['cue']['exact_p'], 100 * r['cue']['exact_r']),
          f'({time.time() - t0:.0f}s)', flush=True)
