"""The outputs know their code: `python -m margo.paper --check` on a copy of the package, and a paper
run equal bit for bit whatever the number of notebooks run at once (`--jobs`)."""
import json, os, shutil, subprocess, sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def _py(code, cwd, env):
    r = subprocess.run([sys.executable, '-c', code], cwd=cwd, env=env, capture_output=True, text=True, timeout=900)
    assert r.returncode == 0, r.stderr[-3000:]
    return r.stdout


def test_check_names_the_changed_model(tmp_path):
    "Changing one line of a model's module makes --check report that model's outputs stale, and the others current."
    copy = tmp_path / 'repo'
    shutil.copytree(REPO / 'margo', copy / 'margo', ignore=shutil.ignore_patterns('__pycache__'))
    shutil.copytree(REPO / 'nbs' / 'paper', copy / 'nbs' / 'paper')
    shutil.copy(REPO / 'pyproject.toml', copy / 'pyproject.toml')
    env = {**os.environ, 'PYTHONPATH': str(copy), 'MARGO_RUNS': str(tmp_path / 'runs')}
    # two real outputs of the copy: one trains LATTICE, the other BPR-MF (smoke profile, one epoch)
    _py("""
import margo; assert margo.__file__.startswith(%r)
from margo.study import Study
from margo.profiles import work_dir
for nb, model in (('overall', 'lattice'), ('weights', 'bprmf')):
    S = Study(nb, 'smoke', epochs=1, out_dir=work_dir()/'paper_figures'/nb)
    S.run(model, 'smoke', 999); S.finish()
""" % str(copy), copy, env)
    check = lambda: subprocess.run([sys.executable, '-m', 'margo.paper', '--check'], cwd=copy, env=env, capture_output=True, text=True, timeout=300)
    r = check()
    assert r.returncode == 0, r.stdout + r.stderr
    assert [l.split() for l in r.stdout.splitlines()[:2]] == [['overall', 'current'], ['weights', 'current']]
    f = copy / 'margo' / 'baselines' / 'lattice.py'
    f.write_text(f.read_text() + '\n# one more line\n')
    r = check()
    assert r.returncode == 1, r.stdout + r.stderr
    lines = r.stdout.splitlines()
    assert lines[0].split(None, 1) == ['overall', 'stale (model module margo/baselines/lattice.py changed)'], lines
    assert lines[1].split() == ['weights', 'current'], lines
    # the shared code changed: every output stale, and the file named
    t = copy / 'margo' / 'trainer.py'
    t.write_text(t.read_text() + '\n# one more line\n')
    lines = check().stdout.splitlines()
    assert 'shared code margo/trainer.py' in lines[0] and 'shared code margo/trainer.py' in lines[1], lines


def test_committed_outputs_listed():
    "--check lists the committed output folders, one line each, and says how many are current (whatever their state)."
    r = subprocess.run([sys.executable, '-m', 'margo.paper', '--check'], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert r.returncode in (0, 1), r.stderr
    folders = sorted(p.parent.relative_to(REPO / 'paper_figures').as_posix() for p in (REPO / 'paper_figures').rglob('provenance.json')
                     if '-' not in p.relative_to(REPO / 'paper_figures').parts[0])
    lines = r.stdout.splitlines()
    assert [l.split()[0] for l in lines[:-1]] == folders
    assert all(l.split()[1].rstrip(';') in ('current', 'stale') for l in lines[:-1])
    assert lines[-1].startswith('check: ') and (r.returncode == 1) == ('not' in lines[-1])


def test_paper_bits_do_not_depend_on_jobs(tmp_path, monkeypatch):
    "Two tiny paper notebooks, one at a time and two at a time, each from an empty cache: the same bytes in every CSV."
    from margo.paper import run_paper
    out = {}
    for jobs in (1, 2):
        monkeypatch.setenv('MARGO_RUNS', str(tmp_path / f'runs{jobs}'))     # its own data and run cache: everything recomputed
        s = run_paper('smoke', only='ablation,weights', jobs=jobs, params={'out_dir': str(tmp_path / f'jobs{jobs}' / '{notebook}')},
                      out_root=tmp_path / f'executed{jobs}', log=lambda *a: None)
        assert not s['failed'], [r['error'] for r in s['notebooks']]
        assert s['threads'] == {'ablation': 1, 'weights': 1}
        out[jobs] = {p.relative_to(tmp_path / f'jobs{jobs}').as_posix(): p.read_bytes() for p in sorted((tmp_path / f'jobs{jobs}').rglob('*.csv'))}
        for nb in ('ablation', 'weights'):                                     # the executed copy beside the outputs, tidy
            ex = tmp_path / f'jobs{jobs}' / nb / f'{nb}.ipynb'
            assert ex.is_file() and 'papermill' not in json.loads(ex.read_text())['metadata']
            assert json.loads((ex.parent / 'provenance.json').read_text())['made_with']['threads'] == 1
    assert len(out[1]) >= 3 and out[1].keys() == out[2].keys()
    assert out[1] == out[2]


def test_release_records_times_and_runs(tmp_path, monkeypatch):
    "`release` regenerates a profile and records its wall time and the runs it trained and reused; a second release reuses them all."
    from margo.paper import release, check_outputs
    monkeypatch.setenv('MARGO_RUNS', str(tmp_path / 'runs'))
    kw = dict(jobs=1, only='weights', params={'out_dir': str(tmp_path / 'figs' / '{notebook}'), 'epochs': 1}, log=lambda *a: None)
    first = release(['smoke'], out=tmp_path / 'figs' / 'release.json', **kw)['profiles']['smoke']
    assert first['trained'] >= 1 and first['failed'] == [] and first['threads'] == 1 and first['wall_s'] > 0
    rec = json.loads((tmp_path / 'figs' / 'release.json').read_text())
    assert rec['profiles']['smoke'] == first and 'made_with' in rec and rec['commit']
    again = release(['smoke'], out=tmp_path / 'figs' / 'release.json', **kw)['profiles']['smoke']
    assert again['trained'] == 0 and again['reused'] == first['trained'] + first['reused']
    kept = json.loads((tmp_path / 'figs' / 'release.json').read_text())['profiles']['smoke']['cold']   # what the training release cost stays
    assert kept['trained'] == first['trained'] and kept['wall_s'] == first['wall_s'] and kept['commit'] == rec['commit']
    lines = []
    assert check_outputs(tmp_path / 'figs', log=lines.append) == 0 and lines[0].split() == ['weights', 'current']


def test_citation_has_repository_and_date():
    import datetime, yaml
    cff = yaml.safe_load((REPO / 'CITATION.cff').read_text())
    assert cff['repository-code'].startswith('https://')
    datetime.date.fromisoformat(str(cff['date-released']))
