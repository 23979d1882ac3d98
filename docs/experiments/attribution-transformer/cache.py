import sys, time
from pathlib import Path
sys.path.insert(0, '/work/main'); sys.path.insert(0, '/work/main/bench')
import train_attribution as T
from attribution import load_split
n_bottom = int(sys.argv[1]); limit = int(sys.argv[2]) if len(sys.argv) > 2 else None
arts = load_split('train'); texts = [t for _, t, _ in arts]
golds = [T.gold_triples("train", n, t) for n, t, _ in arts]
parsed = T.parse_split('train', texts, Path('/tmp/attr_cache'))
if limit:
    parsed, golds = parsed[:limit], golds[:limit]
t0 = time.time()
out = Path(f'/tmp/tf/cache_b{n_bottom}' + (f'_{limit}' if limit else '') + '.npz')
d = T.transformer_cache(parsed, golds, n_bottom, out)
n_sent = sum(len(list(doc.sents)) for docs in parsed for _, doc in docs)
print(out, d['states'].shape, len(d['lengths']), f'{time.time()-t0:.1f}s', n_sent, 'sentences', n_sent/(time.time()-t0), 'sent/s', flush=True)
