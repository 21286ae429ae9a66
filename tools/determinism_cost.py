"""What bit-for-bit reproducibility costs: seconds per training epoch with torch's deterministic kernels on and off.

    python tools/determinism_cost.py [ROOT NAME] [--model margo] [--reps 5] [--batch-size 2048] [--out DIR]

Trains one model (MARGO's stage 1 by default) for 2 x reps epochs, alternating the setting epoch by
epoch so that both see the same machine load, and writes the seconds of each epoch
(`epochs.csv`: rep, setting, seconds) and the medians and their ratio (`result.json`) into DIR
(default paper_figures/tools/determinism_cost/), with a provenance.json (commit, code hashes,
threads, machine); it prints the result as JSON too. Without ROOT NAME it uses the embedded
synthetic dataset (written to a temporary folder). The timings hold for the machine they were
measured on (recorded).
"""
import argparse, json, statistics, subprocess, sys, tempfile, time
from pathlib import Path
import pandas as pd
import torch
from margo.data import load_dataset
from margo.sampling import NegativeSampler, bpr_batches
from margo.models import get_model
from margo.runfolder import seed_everything, deterministic
from margo.paper import tool_output
from margo.runs import write_json

def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('root', nargs='?'); ap.add_argument('name', nargs='?', default='synthetic')
    ap.add_argument('--model', default='margo'); ap.add_argument('--reps', type=int, default=5)
    ap.add_argument('--batch-size', type=int, default=2048)
    ap.add_argument('--out', default=None, help="output folder (default paper_figures/tools/determinism_cost)")
    a = ap.parse_args(argv)
    t0 = time.perf_counter()
    root = a.root
    if root is None:
        root = tempfile.mkdtemp(prefix='margo-det-')
        subprocess.run([sys.executable, '-m', 'margo.cli', 'synth', root], check=True, stdout=subprocess.DEVNULL)
    data = load_dataset(root, a.name)
    seed_everything(0)
    m = get_model(a.model)(data); opt = torch.optim.Adam(m.parameters(), lr=1e-3)
    g, sampler = torch.Generator().manual_seed(0), NegativeSampler(data.train)
    secs, rows = {'deterministic': [], 'default': []}, []
    m.train()
    for rep in range(a.reps):
        for name in (('default', 'deterministic') if rep % 2 else ('deterministic', 'default')):
            with deterministic(name == 'deterministic'):
                t = time.perf_counter(); m.pre_epoch(g)
                for u, p, n in bpr_batches(data, a.batch_size, g, sampler):
                    l = m.loss(u, p, n)['loss']; opt.zero_grad(); l.backward(); opt.step()
                secs[name].append(round(time.perf_counter() - t, 3)); rows.append(dict(rep=rep, setting=name, seconds=secs[name][-1]))
    med = {k: statistics.median(v) for k, v in secs.items()}
    res = dict(dataset=a.name, model=a.model, reps=a.reps, batch_size=a.batch_size, threads=torch.get_num_threads(),
               epoch_seconds=secs, median=med, ratio=round(med['deterministic'] / med['default'], 3))
    out = tool_output('determinism_cost.py', a.out, models=[a.model], argv=argv, dataset=a.name,
                      wall_s=round(time.perf_counter() - t0, 1))
    pd.DataFrame(rows).to_csv(out/'epochs.csv', index=False)
    write_json(res, out/'result.json')
    print(json.dumps(res))
    return 0

if __name__ == '__main__': sys.exit(main())
