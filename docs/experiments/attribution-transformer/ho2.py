import sys, time
from dataclasses import replace
from pathlib import Path
sys.path.insert(0, '/tmp/tf/tree'); sys.path.insert(0, '/tmp/tf/tree/bench')
import train_attribution as T
import newstrace; assert newstrace.__file__.startswith('/tmp/tf/tree'), newstrace.__file__
from attribution import load_split
from newstrace.attribution_model import load_tagger
from newstrace.attribution_transformer import load_transformer
arts = load_split('train'); texts = [t for _, t, _ in arts]; spans = [g for _, _, g in arts]
parsed = T.parse_split('train', texts, Path('/tmp/attr_cache'))
held = [k for k in range(len(arts)) if k % 5 == 0]
hp = [parsed[k] for k in held]; T.set_tensors(hp)
ht = [texts[k] for k in held]; hg = [spans[k] for k in held]
model = T.load_model_file(Path('/tmp/attrw/fold/attribution.json.gz'))
lstm = load_tagger.__wrapped__(Path('/tmp/attrw/fold/attribution_tagger.json.gz'))
tf = load_transformer.__wrapped__(Path('/tmp/tf/fold_n1_e2.json.gz'))
class Memo:
    def __init__(self, tf):
        self.tf = tf; self.memo = {}
    def token_probs(self, docs):
        key = id(docs[0]) if docs else 0
        if key not in self.memo:
            self.memo[key] = self.tf.token_probs(docs)
        return self.memo[key]
memo = Memo(tf)
for w in [float(x) for x in sys.argv[1:]]:
    t0 = time.time()
    m = replace(model, tagger=lstm, transformer=memo, thresholds={**model.thresholds, "tagger_weight": 0.5, "transformer_weight": w})
    print(T._line(f"lstm mix 0.5 + tf {w}", T.evaluate(hp, ht, hg, m)), f"({time.time()-t0:.0f}s)", flush=True)
