"""Stress test of resume (not part of `make test`): SIGKILL `margo train` at random moments, resume, compare.

    python tools/stress_resume.py [--n 20] [--root ROOT --name NAME] [--model margo] [--epochs 2] [--seed 0]

Without --root it writes the embedded synthetic dataset to a temporary folder. It first trains once
without interruption (the reference), counting its checkpoint writes (one per epoch, one per stage
end) and timing them. Then N trials: each starts the same run in a fresh folder and kills it with
SIGKILL at a random moment: after a random number k of checkpoint writes (k = 0: during start-up
or the first epoch) plus a random fraction of the reference's time between two writes, so that the
kills fall over the whole run whatever the machine's load (between an epoch's checkpoint and the
stage's test evaluation included). The run is then resumed with --resume (or started again when no
checkpoint exists yet), killed again the same way with probability 1/2, until it finishes; its
metrics.json (valid, test, best epoch, stages) and history.csv (all columns but the timings) are
compared with the reference's. Exit status 0 when every trial is identical, 1 otherwise.

It writes `trials.csv` (per trial: the kills and whether the resumed run was identical) and
`result.json` (trials, identical, kills, seconds) into --out (default
paper_figures/tools/stress_resume/), with a provenance.json (commit, code hashes, machine).
"""
import argparse, json, random, signal, subprocess, sys, tempfile, time
from pathlib import Path
import pandas as pd
from margo.paper import tool_output
from margo.runs import write_json

def margo(*args): return [sys.executable, '-m', 'margo.cli', *map(str, args)]

def outcome(folder):
    m = json.loads((folder/'metrics.json').read_text())
    h = pd.read_csv(folder/'history.csv').drop(columns=['seconds', 'eval_seconds'])
    return {k: m[k] for k in ('valid', 'test', 'best_epoch', 'stage_epochs', 'stages')}, h

def saved(out):
    "What the run folder held when the run was killed."
    ck = out/'checkpoint.pt'
    if not ck.exists(): return 'no checkpoint yet'
    from margo.checkpoint import load_checkpoint
    c = load_checkpoint(ck)
    return f"{len(c['history'])} epochs, {len(c['stage_results'])} stages saved"

def watch(cmd, out, k=None, extra=0.0):
    """Run `cmd`; with `k`, SIGKILL it `extra` seconds after its k-th checkpoint write (k = 0: after start).
    Returns (killed, times of the checkpoint writes seen)."""
    ck = out/'checkpoint.pt'
    last = ck.stat().st_mtime_ns if ck.exists() else None
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    t0, writes, deadline = time.time(), [], (time.time() + extra if k == 0 else None)
    while p.poll() is None:
        m = ck.stat().st_mtime_ns if ck.exists() else None
        if m != last:
            last = m; writes.append(time.time() - t0)
            if k is not None and len(writes) == k: deadline = time.time() + extra
        if deadline is not None and time.time() >= deadline:
            p.send_signal(signal.SIGKILL); p.wait(); return True, writes
        time.sleep(0.01)
    if p.returncode != 0: raise SystemExit(f"margo train failed: {p.stderr.read().strip()}")
    return False, writes

def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--n', type=int, default=20, help="trials (default 20)")
    ap.add_argument('--root'); ap.add_argument('--name', default='synthetic')
    ap.add_argument('--model', default='margo'); ap.add_argument('--epochs', type=int, default=2, help="cap per stage (default 2)")
    ap.add_argument('--seed', type=int, default=0, help="seed of the kill moments and of the run")
    ap.add_argument('--out', default=None, help="output folder (default paper_figures/tools/stress_resume)")
    a = ap.parse_args(argv)
    rng = random.Random(a.seed)
    work = Path(tempfile.mkdtemp(prefix='margo-stress-'))
    root = Path(a.root) if a.root else work/'data'
    if not a.root: subprocess.run(margo('synth', root), check=True, stdout=subprocess.DEVNULL)
    run = ['train', root, a.name, '--model', a.model, '--epochs', a.epochs, '--patience', 50, '--seed', a.seed, '--quiet']
    t_start = time.time()
    _, writes = watch(margo(*run, '--out', work/'reference'), work/'reference')
    ref, ref_h = outcome(work/'reference')
    gaps = [b - a_ for a_, b in zip([0.0] + writes, writes)]
    step = max(gaps[1:] or gaps)                 # the longest time between two writes (start-up excluded)
    print(f"reference: {time.time() - t_start:.1f} s, {len(writes)} checkpoint writes, test {json.dumps(ref['test'])}", flush=True)
    bad, kills, rows = 0, 0, []
    for i in range(a.n):
        out, attempt = work/f'trial{i}', 0
        killed_at = []
        while True:
            c = margo(*run, '--out', out) + (['--resume'] if (out/'checkpoint.pt').exists() else [])
            if not killed_at or rng.random() < 0.5:
                k, extra = rng.randrange(len(writes)), rng.uniform(0, step)
                if k == 0: extra = rng.uniform(0, gaps[0] + step)
                killed, _ = watch(c, out, k, extra)
                if killed:
                    kills += 1; killed_at.append(f"write {k} + {extra:.2f}s ({saved(out)})"); continue
            else: watch(c, out)
            if killed_at: break
            attempt += 1; out = work/f'trial{i}-{attempt}'    # finished before its kill: again, in a fresh folder
        got, h = outcome(out)
        same = got == ref and h.equals(ref_h)
        bad += not same
        rows.append(dict(trial=i + 1, kills=len(killed_at), killed_at='; '.join(killed_at), identical=same))
        print(f"trial {i + 1}/{a.n}: SIGKILL at {'; '.join(killed_at)}; resumed: "
              f"{'identical' if same else 'DIFFERENT: ' + json.dumps(got['test'])}", flush=True)
    print(f"{a.n - bad}/{a.n} trials identical to the uninterrupted run ({kills} SIGKILLs, {time.time() - t_start:.0f} s in all)")
    res = dict(dataset=a.name, model=a.model, epochs=a.epochs, seed=a.seed, trials=a.n, identical=a.n - bad, kills=kills,
               checkpoint_writes=len(writes), seconds=round(time.time() - t_start, 1))
    out = tool_output('stress_resume.py', a.out, models=[a.model], argv=argv, dataset=a.name)
    pd.DataFrame(rows, columns=['trial', 'kills', 'killed_at', 'identical']).to_csv(out/'trials.csv', index=False)
    write_json(res, out/'result.json')
    return 1 if bad else 0

if __name__ == '__main__': sys.exit(main())
