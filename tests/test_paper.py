"""Smoke test of the paper notebooks (nbs/paper/): each runs under papermill on a tiny synthetic
dataset (profile 'smoke': 1 seed, 2 epochs per stage; overall on a subset of the models) and writes
its tables (CSV with finite numbers), figures (PNG) and provenance.json."""
import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from margo import paper
from margo.runs import prepare_data

# per notebook: tables (CSV stems) and figures (PNG stems) it must write; {d} = the dataset name
EXPECTED = {
    'overall': (['overall_{d}'], []),
    'ablation': (['ablation_{d}'], []),
    'sensitivity': (['sensitivity_alpha_{d}', 'sensitivity_tau_{d}'], ['sensitivity_{d}']),
    'weights': (['weights_dispersion_{d}', 'reliability_auc_{d}'], ['weights_hist_{d}', 'weights_dispersion_{d}', 'weights_reliability_{d}']),
    'motivation': (['motivation_{d}'], ['motivation_{d}']),
    'stages': (['stages_{d}'], ['stages_{d}']),
    'modalities': (['modalities_{d}3'], ['modalities_{d}3']),
    'reliability': (['signal_auc_{d}', 'weight_lr_{d}'], ['weights_over_epochs_{d}']),
    'fidelity': (['fidelity_tiktok', 'fidelity_dragon_choices', 'fidelity_dragon_seeds'], ['fidelity_dragon_curves']),
    'bench': (['bench_tiktok', 'bench_baby'], ['bench_tiktok', 'bench_baby']),
    'robustness': (['robustness_{d}'], ['robustness_{d}']),
}
# the fidelity notebook runs on TikTok (its own profile): one epoch, one seed here
SHARED = Path(__file__).resolve().parents[1].parent / 'shared'
HAS_TIKTOK = (SHARED / 'data' / 'tiktok' / 'tiktok.inter').exists() and (SHARED / 'reference' / 'mmrec_tiktok.md').exists() \
    and (SHARED / 'data' / 'amazon' / 'baby' / 'baby.inter').exists()
FIDELITY = dict(profile='reference', epochs=1, patience=1, seeds=[999], choice_seeds=[999], more_seeds=[1], models=['dragon', 'lightgcn'])
# the bench notebook times models on TikTok and Amazon Baby (its own profile): two models, two batches of one epoch here
BENCH = dict(profile='speed', epochs=1, max_batches=2, models=['bprmf', 'margo'])


@pytest.fixture(scope='module')
def executed(tmp_path_factory):
    "Run every paper notebook once on the smoke profile, two at a time; {name: (record, figure folder)}."
    root = tmp_path_factory.mktemp('paper')
    mp = pytest.MonkeyPatch()
    mp.setenv('MARGO_RUNS', str(root / 'runs'))      # cache and generated data out of the repository
    prepare_data('smoke'); prepare_data('smoke', third_modality=True)
    def one(name):
        params = dict(profile='smoke', out_dir=str(root / 'figures' / name))
        if name == 'overall': params['models'] = ['bprmf', 'lightgcn', 'dragon', 'margo']
        if name in ('fidelity', 'bench'):
            if not HAS_TIKTOK: return name, None
            params.update(FIDELITY if name == 'fidelity' else BENCH)
        return name, paper.run_notebook(name, params, root / 'executed', threads=1, timeout=600)
    with ThreadPoolExecutor(2) as ex: recs = dict(ex.map(one, paper.NOTEBOOKS))
    yield {n: (r, root / 'figures' / n) for n, r in recs.items()}
    mp.undo()


@pytest.mark.parametrize('name', paper.NOTEBOOKS)
def test_paper_notebook(executed, name):
    rec, out = executed[name]
    if rec is None: pytest.skip(f"{name}: needs ../shared/data/tiktok, ../shared/data/amazon/baby and ../shared/reference/mmrec_tiktok.md, absent here")
    assert rec['ok'], f"{name} failed:\n{rec['error']}"
    tables, figures = EXPECTED[name]
    for stem in tables:
        csv = out / (stem.format(d='smoke') + '.csv')
        assert csv.exists(), f"{csv} not written"
        assert (out / (stem.format(d='smoke') + '.md')).exists()
        if name == 'fidelity':
            t = pd.read_csv(csv, index_col=0)
            assert np.isfinite(t[['margo_mean', 'reference_mean', 'difference']].to_numpy(dtype=float)).all()
            continue
        if name == 'bench':
            t = pd.read_csv(csv, index_col=0)
            assert list(t.index) == ['bprmf', 'margo: backbone', 'margo: margo'] and (t['s_per_batch'] > 0).all() and (t['peak_rss_gb'] > 0).all()
            continue
        num = pd.read_csv(csv, index_col=0).select_dtypes('number')
        means = num[[c for c in num.columns if c.endswith('_mean')]]
        assert means.size > 0, f"{csv}: no *_mean columns"
        assert np.isfinite(means.to_numpy(dtype=float)).any(axis=1).all(), f"{csv}: a row without any finite number"
    for stem in figures:
        png = out / (stem.format(d='smoke') + '.png')
        assert png.exists() and png.stat().st_size > 1000, f"{png} not written"
    prov = json.loads((out / 'provenance.json').read_text())
    assert prov['profile'] == {'fidelity': 'reference', 'bench': 'speed'}.get(name, 'smoke') and prov['seeds'] == [999]
    assert all('interactions' in d['source'] and 'features' in d['source'] for d in prov['datasets'].values())
    assert (out / 'summary.md').read_text().strip(), f"{name}: the closing cell wrote no summary.md"   # the result in words


def test_overall_marks_failed_model(tmp_path, monkeypatch):
    "A model that cannot be built is a 'failed' row of the table, not a crashed notebook."
    from margo.study import Study
    from margo.tables import overall_table
    monkeypatch.setenv('MARGO_RUNS', str(tmp_path / 'runs'))
    S = Study('overall', 'smoke', epochs=1, out_dir=tmp_path / 'fig')
    res = {'bprmf': S.seeds_run('bprmf', 'smoke', no_such_hyperparameter=1), 'margo': S.seeds_run('margo', 'smoke')}
    num, disp, verdict = overall_table(res)
    assert disp.loc['bprmf', 'status'].startswith('failed')
    assert np.isfinite(num.loc['margo', 'recall@20_mean'])


REPO = Path(__file__).resolve().parents[1]
PAPER_NOTEBOOKS = sorted((REPO / 'nbs' / 'paper').glob('*.ipynb'))


@pytest.mark.parametrize('nb', PAPER_NOTEBOOKS, ids=lambda p: p.stem)
def test_help_notebook_lists_every_parameter(nb):
    "`papermill --help-notebook` shows each parameter of the `parameters` cell with a type and a help text."
    import re, subprocess, sys
    from margo.profiles import notebook_defaults
    r = subprocess.run([sys.executable, '-m', 'papermill', '--help-notebook', str(nb)], capture_output=True, text=True)
    out = r.stdout + r.stderr
    assert r.returncode == 0 and 'Unable to parse' not in out, out
    # papermill puts the help on the next line, or on the same one when the name and type are short
    shown = {n: (t, h) for n, t, h in re.findall(r'^  (\w+): (.+?) \(default [^\n]*?\)(?:\n +| +)(\S.*)$', out, flags=re.M)}
    params = notebook_defaults(nb.stem)
    assert params and set(shown) == set(params), (sorted(shown), sorted(params))
    for name, (typ, help_) in shown.items():
        assert typ not in ('None', 'Unknown type') and help_.strip(), (name, typ, help_)


def test_papermill_run_keeps_committed_figures(tmp_path, monkeypatch):
    "A papermill run with non-default parameters writes to paper_figures/<profile>-<hash>/, never over the committed figures."
    import shutil, subprocess, sys
    from margo.profiles import figures_dir, changed_params
    monkeypatch.setenv('MARGO_RUNS', str(tmp_path / 'runs'))
    status = lambda: subprocess.run(['git', 'status', '--porcelain', '--untracked-files=all', 'paper_figures'], cwd=REPO,
                                    capture_output=True, text=True).stdout
    before = status()
    figs = figures_dir('smoke', 'weights', changed_params('weights', dict(epochs=1, seeds=[999])))
    assert figs.parent.name.startswith('smoke-') and not figs.exists()
    try:
        r = subprocess.run([sys.executable, '-m', 'papermill', str(REPO / 'nbs' / 'paper' / 'weights.ipynb'), str(tmp_path / 'out.ipynb'),
                            '-p', 'profile', 'smoke', '-p', 'epochs', '1', '-y', 'seeds: [999]', '-k', 'python3',
                            '--cwd', str(REPO / 'nbs' / 'paper'), '--no-progress-bar'],
                           capture_output=True, text=True, env={**__import__('os').environ, 'MPLBACKEND': 'Agg'}, timeout=600)
        assert r.returncode == 0, r.stderr[-2000:]
        assert 'Passed unknown parameter' not in r.stderr and 'Unable to parse' not in r.stderr, r.stderr
        prov = json.loads((figs / 'provenance.json').read_text())
        assert prov['changed_parameters'] == {'epochs': 1, 'seeds': [999]}
        assert status() == before
    finally: shutil.rmtree(figs.parent, ignore_errors=True)
