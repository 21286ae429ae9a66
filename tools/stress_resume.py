"""Stress test of resume (not part of `make test`): SIGKILL `margo train` at random moments, resume, compare.

    python tools/stress_resume.py [--n 20] [--root ROOT --name NAME] [--model margo] [--epochs 3] [--seed 0]

Without --root it writes the embedded synthetic dataset to a temporary folder. It first trains once
without interruption (the reference), then N times: starts the same run in a fresh folder, kills it
with SIGKILL at a moment drawn uniformly over the reference's wall time, resumes it with --resume
(killing that one too, at a random moment, with probability 1/2, then resuming again) until it
finishes (a first attempt that ends before its kill is started again, with a shorter clock), and compares metrics.json (valid, test, best epoch, stages) and history.csv (all columns
but the timings) with the reference. Exit status 0 when every trial is identical, 1 otherwise.
"""
import argparse, json, random, shutil, signal, subprocess, sys, tempfile, time
from pathlib import Path
import pandas as pd

def margo(*args): return [sys.executable, '-m', 'margo.cli', *map(str, args)]

def outcome(folder):
    m = json.loads((folder/'metrics.json').read_text())
    h = pd.read_csv(folder/'history.csv').drop(columns=['seconds', 'eval_seconds'])
    return {k: m[k] for k in ('valid', 'test', 'best_epoch', 'stage_epochs', 'stages')}, h

def kill_at(cmd, delay):
    "Run `cmd`, SIGKILL it after `delay` seconds unless it ended; True if it was killed."
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        p.wait(timeout=delay)
        if p.returncode != 0: raise SystemExit(f"margo train failed: {p.stderr.read().strip()}")
        return False
    except subprocess.TimeoutExpired:
        p.send_signal(signal.SIGKILL); p.wait(); return True

def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--n', type=int, default=20, help="trials (default 20)")
    ap.add_argument('--root'); ap.add_argument('--name', default='synthetic')
    ap.add_argument('--model', default='margo'); ap.add_argument('--epochs', type=int, default=3, help="cap per stage (default 3)")
    ap.add_argument('--seed', type=int, default=0, help="seed of the kill moments and of the run")
    a = ap.parse_args()
    rng = random.Random(a.seed)
    work = Path(tempfile.mkdtemp(prefix='margo-stress-'))
    root = Path(a.root) if a.root else work/'data'
    if not a.root: subprocess.run(margo('synth', root), check=True, stdout=subprocess.DEVNULL)
    run = ['train', root, a.name, '--model', a.model, '--epochs', a.epochs, '--patience', 50, '--seed', a.seed, '--quiet']
    t0 = time.time(); subprocess.run(margo(*run, '--out', work/'reference'), check=True, stdout=subprocess.DEVNULL)
    wall = time.time() - t0
    ref, ref_h = outcome(work/'reference')
    print(f"reference: {wall:.1f} s, test {json.dumps(ref['test'])}", flush=True)
    bad, kills = 0, 0
    for i in range(a.n):
        out = work/f'trial{i}'
        killed_at = []
        while True:
            c = margo(*run, '--out', out) + (['--resume'] if (out/'checkpoint.pt').exists() else [])
            if not killed_at or rng.random() < 0.5:
                d = rng.uniform(0.05, 0.95) * wall
                t = time.time()
                if kill_at(c, d):
                    kills += 1; killed_at.append(f"{d:.1f}s"); continue
                if not killed_at:              # finished before its kill (the machine got faster): again, with a shorter clock
                    wall = min(wall, time.time() - t); shutil.rmtree(out); continue
            else: subprocess.run(c, check=True, stdout=subprocess.DEVNULL)
            break
        got, h = outcome(out)
        same = got == ref and h.equals(ref_h)
        bad += not same
        print(f"trial {i + 1}/{a.n}: SIGKILL after {', '.join(killed_at)}, resumed; "
              f"{'identical' if same else 'DIFFERENT: ' + json.dumps(got['test'])}", flush=True)
    print(f"{a.n - bad}/{a.n} trials identical to the uninterrupted run ({kills} SIGKILLs)")
    sys.exit(1 if bad else 0)

if __name__ == '__main__': main()
