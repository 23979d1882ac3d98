import sys, time
from dataclasses import replace
from pathlib import Path
sys.path.insert(0, '/work/main'); sys.path.insert(0, '/work/main/bench')
import train_attribution as T
from attribution import load_split
from newstrace.attribution_model import load_tagger
arts = load_split('train'); texts = [t for _, t, _ in arts]; spans = [g for _, _, g in arts]
parsed = T.parse_split('train', texts, Path('/tmp/attr_cache'))
held = [k for k in range(len(arts)) if k % 5 == 0]
hp = [parsed[k] for k in held]; T.set_tensors(hp)
ht = [texts[k] for k in held]; hg = [spans[k] for k in held]
model = T.load_model_file(Path('/tmp/attrw/fold/attribution.json.gz'))
lstm = load_tagger.__wrapped__(Path('/tmp/attrw/fold/attribution_tagger.json.gz'))
for o in [float(x) for x in sys.argv[1:]]:
    t0 = time.time()
    m = replace(model, tagger=lstm, thresholds={**model.thresholds, "tagger_weight": 0.5, "cue_outside": o})
    r = T.evaluate(hp, ht, hg, m)
    print(T._line(f"cue_outside {o}", r), " cue P/R %.1f/%.1f" % (100*r['cue']['exact_p'], 100*r['cue']['exact_r']), f"({time.time()-t0:.0f}s)", flush=True)
