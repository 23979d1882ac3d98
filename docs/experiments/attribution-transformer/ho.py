import sys, time
from dataclasses import replace
from pathlib import Path
sys.path.insert(0, '/work/main'); sys.path.insert(0, '/work/main/bench')
import train_attribution as T
from attribution import load_split
from newstrace.attribution_model import load_tagger
tag = sys.argv[1]
for kv in sys.argv[2:]:
    k, v = kv.split('='); T.TRANSFORMER[k] = type(T.TRANSFORMER[k])(float(v))
n_top = T.TRANSFORMER["n_top"]
print(T.TRANSFORMER, flush=True)
arts = load_split('train'); texts = [t for _, t, _ in arts]; spans = [g for _, _, g in arts]
parsed = T.parse_split('train', texts, Path('/tmp/attr_cache'))
held = [k for k in range(len(arts)) if k % 5 == 0]
rest = {k for k in range(len(arts)) if k % 5 != 0}
hp = [parsed[k] for k in held]; T.set_tensors(hp)
ht = [texts[k] for k in held]; hg = [spans[k] for k in held]
model = T.load_model_file(Path('/tmp/attrw/fold/attribution.json.gz'))
lstm = load_tagger.__wrapped__(Path('/tmp/attrw/fold/attribution_tagger.json.gz'))
cache = T.transformer_cache(None, None, 6 - n_top, Path(f'/tmp/tf/cache_b{6 - n_top}.npz'))

class Memo:
    def __init__(self, tf):
        self.tf = tf; self.memo = {}
    def token_probs(self, docs):
        key = id(docs[0]) if docs else 0
        if key not in self.memo:
            self.memo[key] = self.tf.token_probs(docs)
        return self.memo[key]

def run(epoch, memo, **th):
    t0 = time.time()
    m = replace(model, tagger=lstm, transformer=memo, thresholds={**model.thresholds, **th})
    r = T.evaluate(hp, ht, hg, m)
    print(T._line(f"e{epoch} " + ",".join(f"{k[12:] or 'cue'}={v}" for k, v in th.items()), r), f"({time.time()-t0:.0f}s)", flush=True)
    return r

def evaluate(epoch, tagger, final=False):
    tagger.save(Path(f'/tmp/tf/fold_{tag}_e{epoch}.json.gz'))
    memo = Memo(tagger)
    cue_ws = (0.33, 0.5, 0.67, 1.0) if final else (0.5, 1.0)
    res = {w: run(epoch, memo, transformer_weight=w) for w in cue_ws}
    if not final:
        return
    w = max(res, key=lambda w: res[w]['cue']['exact'])
    for s, c in ((0.3, 0.0), (1.0, 0.0), (0.0, 0.3), (0.0, 1.0)):
        run(epoch, memo, transformer_weight=w, transformer_source=s, transformer_content=c)

tagger = T.train_transformer(cache, rest, n_top, on_epoch=evaluate)
evaluate(T.TRANSFORMER["epochs"], tagger, final=True)
