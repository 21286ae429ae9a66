"""What bit-for-bit reproducibility costs: seconds per training epoch with torch's deterministic kernels on and off.

    python tools/determinism_cost.py [ROOT NAME] [--model margo] [--reps 5] [--batch-size 2048]

Trains one model (MARGO's stage 1 by default) for 2 x reps epochs, alternating the setting epoch by
epoch so that both see the same machine load, and prints the seconds of each epoch and the medians
as JSON. Without ROOT NAME it uses the embedded synthetic dataset (written to a temporary folder).
"""
import argparse, json, statistics, subprocess, sys, tempfile, time
from pathlib import Path
import torch
from margo.data import load_dataset, NegativeSampler, bpr_batches
from margo.models import get_model
from margo.runfolder import seed_everything, deterministic

def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('root', nargs='?'); ap.add_argument('name', nargs='?', default='synthetic')
    ap.add_argument('--model', default='margo'); ap.add_argument('--reps', type=int, default=5)
    ap.add_argument('--batch-size', type=int, default=2048)
    a = ap.parse_args()
    root = a.root
    if root is None:
        root = tempfile.mkdtemp(prefix='margo-det-')
        subprocess.run([sys.executable, '-m', 'margo.cli', 'synth', root], check=True, stdout=subprocess.DEVNULL)
    data = load_dataset(root, a.name)
    seed_everything(0)
    m = get_model(a.model)(data); opt = torch.optim.Adam(m.parameters(), lr=1e-3)
    g, sampler = torch.Generator().manual_seed(0), NegativeSampler(data.train)
    secs = {'deterministic': [], 'default': []}
    m.train()
    for rep in range(a.reps):
        for name in (('default', 'deterministic') if rep % 2 else ('deterministic', 'default')):
            with deterministic(name == 'deterministic'):
                t = time.perf_counter(); m.pre_epoch(g)
                for u, p, n in bpr_batches(data, a.batch_size, g, sampler):
                    l = m.loss(u, p, n)['loss']; opt.zero_grad(); l.backward(); opt.step()
                secs[name].append(round(time.perf_counter() - t, 3))
    med = {k: statistics.median(v) for k, v in secs.items()}
    print(json.dumps(dict(dataset=a.name, model=a.model, threads=torch.get_num_threads(), epoch_seconds=secs,
                          median=med, ratio=round(med['deterministic'] / med['default'], 3))))

if __name__ == '__main__': main()
