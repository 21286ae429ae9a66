"""Every script in tools/ runs on tiny inputs and writes its result files with their provenance, so
that none rots unnoticed (`tools/determinism_cost.py` once imported names that had moved)."""
import json, os, subprocess, sys
from pathlib import Path

import pandas as pd
import pytest

REPO = Path(__file__).resolve().parents[1]
TOOLS = sorted(p.name for p in (REPO / 'tools').glob('*.py'))


@pytest.fixture(scope='module')
def tiny(tmp_path_factory):
    "The smoke profile's tiny synthetic dataset: (root, name)."
    root = tmp_path_factory.mktemp('tools')
    mp = pytest.MonkeyPatch(); mp.setenv('MARGO_RUNS', str(root / 'runs'))
    from margo.runs import prepare_data
    folder = prepare_data('smoke')['smoke']
    yield folder.parent, 'smoke'
    mp.undo()


def _tool(script, *args, cwd):
    env = {**os.environ, 'PYTHONPATH': str(REPO) + os.pathsep + os.environ.get('PYTHONPATH', '')}
    return subprocess.run([sys.executable, str(REPO / 'tools' / script), *map(str, args)], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=600)


def _provenance_current(out, script, model):
    from margo.paper import code_status
    prov = json.loads((out / 'provenance.json').read_text())
    assert prov['tool'] == script and prov['command'].startswith(f'python tools/{script}')
    assert list(prov['made_with']['code']['models']) == [model] and f'tools/{script}' in prov['made_with']['code']['files']
    assert code_status(prov) == (True, '')


# the tools that build the documentation are tested beside what they build
TESTED_ELSEWHERE = {'build_docs.py': 'test_docs.py', 'refresh_lessons.py': 'test_docs.py'}

def test_every_tool_is_tested():
    "A new script in tools/ needs its test here (or in the test file named in TESTED_ELSEWHERE)."
    assert TOOLS == sorted(['determinism_cost.py', 'mmrec_crosscheck.py', 'stress_resume.py', *TESTED_ELSEWHERE])
    for tool, test in TESTED_ELSEWHERE.items(): assert tool in (REPO/'tests'/test).read_text(), (tool, test)


def test_determinism_cost(tiny, tmp_path):
    root, name = tiny
    r = _tool('determinism_cost.py', root, name, '--model', 'lightgcn', '--reps', '2', '--out', tmp_path / 'out', cwd=tmp_path)
    assert r.returncode == 0, r.stderr[-3000:]
    res = json.loads((tmp_path / 'out' / 'result.json').read_text())
    assert res == json.loads(r.stdout.strip().splitlines()[-1])
    assert len(res['epoch_seconds']['deterministic']) == len(res['epoch_seconds']['default']) == 2 and res['ratio'] > 0
    ep = pd.read_csv(tmp_path / 'out' / 'epochs.csv')
    assert list(ep.columns) == ['rep', 'setting', 'seconds'] and len(ep) == 4 and (ep.seconds >= 0).all()
    _provenance_current(tmp_path / 'out', 'determinism_cost.py', 'lightgcn')


def test_stress_resume(tiny, tmp_path):
    root, name = tiny
    r = _tool('stress_resume.py', '--n', '1', '--root', root, '--name', name, '--model', 'bprmf', '--epochs', '2', '--out', tmp_path / 'out', cwd=tmp_path)
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-3000:]
    res = json.loads((tmp_path / 'out' / 'result.json').read_text())
    assert res['trials'] == res['identical'] == 1 and res['kills'] >= 1
    t = pd.read_csv(tmp_path / 'out' / 'trials.csv')
    assert list(t.identical) == [True] and t.kills[0] >= 1
    _provenance_current(tmp_path / 'out', 'stress_resume.py', 'bprmf')


def test_mmrec_crosscheck_self(tiny, tmp_path):
    "Without MMRec: margo's own loop recorded in MMRec's place; the replay of its draws gives its losses and curve exactly."
    root, name = tiny
    rec, out = tmp_path / 'rec.pt', tmp_path / 'out'
    r = _tool('mmrec_crosscheck.py', '--self-check', '--root', root, '--name', name, '--epochs', '3', '--seeds', '1,2',
              '--seed-epochs', '2', '--keep-recording', rec, '--out', out, cwd=tmp_path)
    assert r.returncode == 0, r.stderr[-3000:]
    ep, sd = pd.read_csv(out / 'epochs.csv'), pd.read_csv(out / 'seeds.csv')
    assert list(ep.columns) == ['epoch', 'loss_mmrec', 'loss_margo', 'valid_recall20_mmrec', 'valid_recall20_margo']
    assert list(ep.epoch) == [1, 2, 3] and (ep.loss_mmrec == ep.loss_margo).all() and (ep.valid_recall20_mmrec == ep.valid_recall20_margo).all()
    assert list(sd.columns[:3]) == ['seed', 'test_recall20_mmrec', 'test_recall20_margo'] and list(sd.seed) == [1, 2]
    assert (sd.test_recall20_mmrec == sd.test_recall20_margo).all() and (sd.test_recall20_margo > 0).all()
    res = json.loads((out / 'result.json').read_text())
    assert res['caps'] == dict(check1_epochs=3, record_seed=1, check2_seeds=[1, 2], check2_epoch_cap=2)
    assert res['check1']['max_rel_loss_diff'] == 0 and res['check2']['mean_diff'] == 0
    _provenance_current(out, 'mmrec_crosscheck.py', 'dragon')
    # the comparison side alone, from the saved recording: the same tables
    r = _tool('mmrec_crosscheck.py', '--recording', rec, '--self-check', '--root', root, '--name', name, '--out', tmp_path / 'again', cwd=tmp_path)
    assert r.returncode == 2 and 'exactly one of' in r.stderr and 'Traceback' not in r.stderr
    r = _tool('mmrec_crosscheck.py', '--recording', rec, '--data', root, '--out', tmp_path / 'again', cwd=tmp_path)
    assert r.returncode == 2 and 'tiktok' in r.stderr and 'Traceback' not in r.stderr      # the recording is replayed on TikTok unless --root says


def test_mmrec_crosscheck_replays_a_perturbed_recording(tiny, tmp_path):
    "The replay trains on the recorded draws, not on its own: other draws give other losses; another user-user list is refused."
    import torch
    root, name = tiny
    rec = tmp_path / 'rec.pt'
    r = _tool('mmrec_crosscheck.py', '--self-check', '--root', root, '--name', name, '--checks', '1', '--epochs', '2',
              '--keep-recording', rec, '--out', tmp_path / 'a', cwd=tmp_path)
    assert r.returncode == 0, r.stderr[-3000:]
    R = torch.load(rec, weights_only=False)
    u, p, n = R['check1']['epochs'][1]['batches'][0]
    R['check1']['epochs'][1]['batches'][0] = (u, p, n.flip(0))
    torch.save(R, tmp_path / 'b.pt')
    r = _tool('mmrec_crosscheck.py', '--recording', tmp_path / 'b.pt', '--root', root, '--name', name, '--out', tmp_path / 'b', cwd=tmp_path)
    assert r.returncode == 0, r.stderr[-3000:]
    ep = pd.read_csv(tmp_path / 'b' / 'epochs.csv')
    assert ep.loss_margo[0] == ep.loss_mmrec[0] and ep.loss_margo[1] != ep.loss_mmrec[1]
    lists = R['check1']['epochs'][0]['user_lists']
    u = int((lists != 0).any(1).nonzero()[0])
    lists[u] = u                                  # a user is never among its own co-users
    torch.save(R, tmp_path / 'c.pt')
    r = _tool('mmrec_crosscheck.py', '--recording', tmp_path / 'c.pt', '--root', root, '--name', name, '--out', tmp_path / 'c', cwd=tmp_path)
    assert r.returncode == 2 and 'user-user lists differ' in r.stderr


@pytest.mark.skipif(not os.environ.get('MMREC_CHECKOUT'), reason="MMREC_CHECKOUT does not name a checkout of github.com/enoche/MMRec "
                    "(commit e775373, with torch_geometric importable): MMRec's side of tools/mmrec_crosscheck.py is not exercised")
def test_mmrec_crosscheck_mmrec(tmp_path):
    "MMRec's side, one epoch on TikTok in the reference layout: margo's loop fed MMRec's draws gives MMRec's loss."
    pytest.importorskip('torch_geometric', reason="MMRec's DRAGON imports torch_geometric: run this test with a Python that has it")
    r = _tool('mmrec_crosscheck.py', '--mmrec', os.environ['MMREC_CHECKOUT'], '--epochs', '1', '--seeds', '1', '--seed-epochs', '1',
              '--out', tmp_path / 'out', cwd=tmp_path)
    assert r.returncode == 0, r.stderr[-3000:]
    ep, sd = pd.read_csv(tmp_path / 'out' / 'epochs.csv'), pd.read_csv(tmp_path / 'out' / 'seeds.csv')
    assert len(ep) == 1 and abs(ep.loss_margo[0] - ep.loss_mmrec[0]) <= 1e-4 * ep.loss_mmrec[0]
    assert list(sd.seed) == [1] and sd.test_recall20_mmrec[0] > 0 and sd.test_recall20_margo[0] > 0
    prov = json.loads((tmp_path / 'out' / 'provenance.json').read_text())
    assert prov['reference_loop'] == 'mmrec' and '--mmrec MMREC' in prov['command']
