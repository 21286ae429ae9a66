"""The baselines' search grids (margo.sweeps), their selection on validation in the overall notebook, the plan of a
profile's trainings (`python -m margo.paper --plan`) and the pipeline-check profile, on tiny data."""
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from margo import paper
from margo.models import get_model
from margo.sweeps import SEARCH_GRIDS, NOT_TUNED, GRID_NOTES, search_grid, grid_points

TINY_GRIDS = {'bprmf': {'reg': [1.0, 1e-3]}, 'lightgcn': {'n_layers': [1, 2]}}


def test_every_grid_key_is_a_hyperparameter():
    "Each grid key names a hyperparameter of its model, and each value is one the model accepts."
    for m, g in SEARCH_GRIDS.items():
        spec = get_model(m).spec
        for k, vs in g.items():
            assert k in spec, f"{m}: grid key {k!r} is not a hyperparameter of {m}"
            assert [spec[k].check(k, v, m) for v in vs] == vs
    assert set(NOT_TUNED) <= set(GRID_NOTES)
    assert len(grid_points(search_grid('mmgcn'))) == 30


def test_margo_grids_are_the_sensitivity_notebooks():
    "MARGO's declared grids are the defaults of the sensitivity notebook (the paper's alpha and tau grids)."
    from margo.profiles import notebook_defaults
    d = notebook_defaults('sensitivity')
    assert (d['alphas'], d['taus']) == (SEARCH_GRIDS['margo']['alpha'], SEARCH_GRIDS['margo']['tau'])


def test_overall_selects_on_validation(tmp_path, monkeypatch):
    "tune=True on the smoke profile with a tiny grid: every point trained on one seed, the best VALIDATION recall@20 chosen, the seeds run there."
    from margo.study import Study
    monkeypatch.setenv('MARGO_RUNS', str(tmp_path / 'runs'))
    out = tmp_path / 'fig'
    params = dict(profile='smoke', out_dir=str(out), epochs=1, seeds=[999, 1000], models=['bprmf', 'lightgcn', 'margo'], tune=True, grids=TINY_GRIDS)
    # the plan first: 2 grid points + 1 more seed per baseline, MARGO and its stage-1 run per seed; nothing trained by it
    before = {(r['model'], r['trainings'], r['cached']) for r in paper.plan('smoke', only='overall', params=params)}
    assert before == {('bprmf', 3, 0), ('lightgcn', 3, 0), ('margo', 4, 0)}, before
    assert not (tmp_path / 'runs' / 'cache').exists() or not any((tmp_path / 'runs' / 'cache').iterdir())
    rec = paper.run_notebook('overall', params, tmp_path / 'executed', threads=1, timeout=300)
    assert rec['ok'], rec['error']
    after = {(r['model'], r['trainings'], r['cached']) for r in paper.plan('smoke', only='overall', params=params)}
    assert after == {('bprmf', 3, 3), ('lightgcn', 3, 3), ('margo', 4, 4)}, after   # the chosen points found, as the notebook chose them
    sel = pd.read_csv(out / 'selection.csv')
    assert sorted(sel['model'].unique()) == ['bprmf', 'lightgcn'] and len(sel) == 4     # DRAGON, MARGO: not searched
    S = Study('overall', 'smoke', seeds=[999, 1000], epochs=1, out_dir=tmp_path / 'check')
    prov = json.loads((out / 'provenance.json').read_text())
    for m, rows in sel.groupby('model'):
        pts = [json.loads(p) for p in rows['point']]
        valid = [S.run(m, 'smoke', 999, **pt)['valid']['recall@20'] for pt in pts]   # from the cache the notebook filled
        assert S.runs['trained'] == 0
        np.testing.assert_allclose(rows['valid_recall20'], valid)
        best = pts[int(np.argmax(valid))]
        assert rows['chosen'].tolist() == [p == best for p in pts]
        assert prov['selected']['smoke'][m] == best
    assert 'VALIDATION' in (out / 'selection.md').read_text() and 'VALIDATION' in (out / 'overall_smoke.md').read_text()


def test_pipeline_profile_on_tiny_data(tmp_path, monkeypatch, tiny):
    "The pipeline check of the full profile on a tiny MMRec-layout dataset without features: features synthesised, grids of 2 points, 2 seeds, PIPELINE CHECK and SYNTHETIC in the titles."
    import shutil
    monkeypatch.setenv('MARGO_RUNS', str(tmp_path / 'runs'))
    root = tmp_path / 'mmrec'; (root / 'tiny').mkdir(parents=True)
    shutil.copy(tiny / 'tiny' / 'tiny.inter', root / 'tiny' / 'tiny.inter')        # interactions only, as ../shared/data/amazon
    params = dict(datasets=['tiny'], models=['bprmf', 'margo'], out_dir=str(tmp_path / 'fig' / '{notebook}'))
    rows = paper.plan('pipeline', root, 'overall', params)
    assert {r['model']: r['trainings'] for r in rows} == {'bprmf': 3, 'margo': 4}   # 2 grid points + 1 more seed; MARGO: 2 seeds x 2 runs
    s = paper.run_paper('pipeline', root, 'overall', jobs=1, params=params, out_root=tmp_path / 'paper', log=lambda *a: None)
    assert not s['failed'], s['notebooks'][0]['error']
    out = tmp_path / 'fig' / 'overall'
    sel = pd.read_csv(out / 'selection.csv')
    assert sel.groupby('model').size().to_dict() == {'bprmf': 2}
    for md in out.glob('*.md'):
        if md.name == 'summary.md': continue
        title = md.read_text().splitlines()[0]
        assert title.startswith('# PIPELINE CHECK, not results') and 'SYNTHETIC features' in title, (md.name, title)
    prov = json.loads((out / 'provenance.json').read_text())
    assert prov['profile'] == 'pipeline' and prov['seeds'] == [999, 1000]
    assert len(list((tmp_path / 'runs' / 'cache').glob('*/result.json'))) == 7                  # the trainings the plan counted
    run = json.loads(next((tmp_path / 'runs' / 'cache').glob('bprmf-*/result.json')).read_text())
    assert run['config']['settings']['max_batches'] == 4 and run['config']['settings']['epochs'] == 1
