import sys, time
from dataclasses import replace
from pathlib import Path
sys.path.insert(0, '/work/main'); sys.path.insert(0, '/work/main/bench')
import numpy as np
import train_attribution as T
from attribution import load_split
from newstrace.attribution_model import load_tagger
arts = load_split('train'); texts = [t for _, t, _ in arts]; spans = [g for _, _, g in arts]
golds = [T.gold_triples("train", n, t) for n, t, _ in arts]
parsed = T.parse_split('train', texts, Path('/tmp/attr_cache'))
held = [k for k in range(len(arts)) if k % 5 == 0]
rest = [k for k in range(len(arts)) if k % 5 != 0]
model = T.load_model_file(Path('/tmp/attrw/fold/attribution.json.gz'))
seed0 = load_tagger.__wrapped__(Path('/tmp/attrw/fold/attribution_tagger.json.gz'))
rows = T.tagger_rows([parsed[k] for k in rest], [golds[k] for k in rest])
more = T.train_tagger(rows, seeds=(1, 2))
assert more.vocab == seed0.vocab and more.lemmas == seed0.lemmas
ens = replace(seed0, extra=(more.arrays, *more.extra))
ens.save(Path('/tmp/tf/fold_lstm3.json.gz'))
hp = [parsed[k] for k in held]; T.set_tensors(hp)
ht = [texts[k] for k in held]; hg = [spans[k] for k in held]
for w in (0.5, 0.67):
    t0 = time.time()
    m = replace(model, tagger=ens, thresholds={**model.thresholds, "tagger_weight": w})
    print(T._line(f"3 LSTM seeds, weight {w}", T.evaluate(hp, ht, hg, m)), f"({time.time()-t0:.0f}s)", flush=True)
