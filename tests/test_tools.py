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
    assert TOOLS == sorted(['determinism_cost.py', 'stress_resume.py', *TESTED_ELSEWHERE])
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
