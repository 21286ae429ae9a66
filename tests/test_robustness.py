"""margo.robustness: corrupted real features are exactly what their provenance says; the equal-budget control."""
import json
from pathlib import Path
import numpy as np, pandas as pd, scipy.sparse as sp
import pytest
from margo.layout import write_dataset
from margo.runs import load_folder
from margo.synthetic import toy_data
from margo.robustness import KINDS, corrupt_features

@pytest.fixture
def tiny(tmp_path):
    "A tiny dataset folder (random interactions, image 8-d and text 4-d features), no planted truth."
    d = toy_data(n_users=30, n_items=40, dims={'image': 8, 'text': 4}, seed=11)
    rows = [(u, i, s) for s, m in enumerate([d.train, d.valid, d.test]) for u, i in zip(*sp.find(m)[:2])]
    df = pd.DataFrame(rows, columns=['userID', 'itemID', 'x_label'])
    return write_dataset(tmp_path/'src', 'tiny', df, {m: f.numpy() for m, f in d.features.items()}, provenance=dict(generator='margo.test'))

@pytest.mark.parametrize('kind', KINDS)
@pytest.mark.parametrize('mods', [None, ['text']])
def test_corruption_is_what_the_provenance_says(tiny, tmp_path, kind, mods):
    f = corrupt_features(tiny, 0.3, kind, modalities=mods, seed=4, out_root=tmp_path/'gen')
    src, d = load_folder(tiny), load_folder(f)
    prov = json.loads((f/'provenance.json').read_text())
    assert (prov['kind'], prov['rho'], prov['seed'], prov['modalities']) == (kind, 0.3, 4, mods or ['image', 'text'])
    assert (f/f'{f.name}.inter').read_bytes() == (tiny/'tiny.inter').read_bytes()       # the interactions unchanged
    for j, m in enumerate(d.modalities):
        x, y = src.features[m].numpy(), d.features[m].numpy()
        if m not in prov['corrupted']:                                                 # a modality left alone: byte-equal, reliable
            assert y.tobytes() == x.tobytes() and (d.reliability[:, j] == 1).all(); continue
        rows = np.array(prov['corrupted'][m]['rows']); other = np.setdiff1d(np.arange(d.n_items), rows)
        assert len(rows) == 12 and y[other].tobytes() == x[other].tobytes()            # every other row byte-equal
        assert np.array_equal(np.flatnonzero(d.reliability[:, j] == 0), rows)           # the truth = the chosen rows
        assert not np.isclose(y[rows], x[rows]).all(1).any()                            # every chosen row changed ...
        if kind == 'swap':                                                              # ... by its kind
            s = np.array(prov['corrupted'][m]['sources']); assert (s != rows).all() and np.array_equal(y[rows], x[s])
        elif kind == 'zeros': assert (y[rows] == 0).all()
        else: assert np.allclose(y[rows].mean(1), x[rows].mean(1), atol=3 * x[rows].std(1).max() / np.sqrt(x.shape[1]))

def test_same_seed_same_rows_other_seed_other_rows(tiny, tmp_path):
    rows = lambda f: json.loads((f/'provenance.json').read_text())['corrupted']['image']['rows']
    a, b = (corrupt_features(tiny, 0.4, k, seed=1, out_root=tmp_path/'g') for k in ('swap', 'noise'))
    assert rows(a) == rows(b)                                                           # the kinds hit the same items
    assert set(rows(corrupt_features(tiny, 0.2, 'swap', seed=1, out_root=tmp_path/'g'))) <= set(rows(a))   # nested in rho
    assert rows(corrupt_features(tiny, 0.4, 'swap', seed=2, out_root=tmp_path/'g')) != rows(a)

def test_interrupted_generation_is_not_taken_as_complete(tiny, tmp_path, monkeypatch):
    import margo.robustness as R
    gen = tmp_path/'gen'
    def killed(*a, **k): raise KeyboardInterrupt
    monkeypatch.setattr(R, 'write_dataset', killed)
    with pytest.raises(KeyboardInterrupt): corrupt_features(tiny, 0.5, 'zeros', out_root=gen)
    assert not (gen/'tiny-zeros-r0.5-s0').exists()                                     # no folder under the dataset's name
    monkeypatch.undo()
    f = corrupt_features(tiny, 0.5, 'zeros', out_root=gen)
    assert int((load_folder(f).reliability == 0).sum()) == 2 * 20
    assert sorted(p.name for p in gen.iterdir() if not p.name.endswith('.lock')) == ['tiny-zeros-r0.5-s0']

def test_never_into_the_source(tiny):
    from margo.data import DataError
    with pytest.raises(DataError, match='holds the source dataset'): corrupt_features(tiny, 0.2, 'swap', out_root=tiny.parent)


def test_runs_are_one_batch_with_the_stage1_runs_first(monkeypatch):
    "Every run of the notebook goes to the executor at once, the runs that continue a stage 1 after the others; rho = 0 is trained once."
    import margo.robustness as R
    monkeypatch.setattr(R, 'corrupted_data', lambda S, name, kind, rho, seed=0: f'{kind}-{rho}')
    class S:
        seeds = [1, 2]
        batches = []
        def runs_many(self, calls, errors='raise'):
            self.batches.append(calls)
            return [dict(seed=c['seed'], tag=(c['model'], c.get('data'), tuple(sorted((k, v) for k, v in c.items() if k not in ('model', 'dataset', 'seed', 'data')))))
                    for c in calls]
    s = S(); plan = dict(kinds=['swap', 'zeros'], rhos=[0.0, 0.4], corruption_seed=0, options=[])
    out = R.robustness_runs(s, 'tiny', plan)
    assert len(s.batches) == 1
    calls = s.batches[0]
    n_rows = len(R.ROBUSTNESS_MODELS)
    assert len(calls) == 2 * (3 * n_rows + 1)            # 3 settings (rho = 0 once) x rows x seeds, and the floor
    from margo.runs import stage1_run
    dependent = [stage1_run(c['model'], {k: v for k, v in c.items() if k not in ('model', 'dataset', 'seed', 'data')}) is not None for c in calls]
    assert any(dependent) and dependent == sorted(dependent)   # every stage-1 continuation after every other run
    assert list(out) == [('swap', 0.0), ('swap', 0.4), ('zeros', 0.0), ('zeros', 0.4), ('clean', 0.0)]
    assert out[('zeros', 0.0)] is out[('swap', 0.0)]
    for (kind, rho), groups in out.items():
        for label, res in groups.items():
            assert [r['seed'] for r in res] == [1, 2]
            m, hp = (R.FLOOR[1], {}) if kind == 'clean' else R.ROBUSTNESS_MODELS[label]
            for r in res:
                assert r['tag'][0] == m and r['tag'][2] == tuple(sorted(hp.items()))
                assert r['tag'][1] == (None if kind == 'clean' else f'{kind}-{rho}' if rho else 'swap-0.0')


def test_aim_check_never_passes_on_missing_or_undefined_numbers():
    "A failed setting, a p-value that could not be computed (one seed) or no weight AUC: the part is not met, and says why."
    from margo.robustness import aim_check, robustness_long, robustness_table, _fake
    res = {}
    for kind in ('swap', 'zeros'):
        for rho in (0.0, 0.2):
            d = 0.02 if rho else 0.0
            res[(kind, rho)] = {'DRAGON': [_fake(kind, rho, 'D', 0, 0.10 - d)], 'two-stage DRAGON': [_fake(kind, rho, 'D2', 0, 0.10 - d)],
                                'MARGO': [_fake(kind, rho, 'M', 0, 0.20)]}           # far above, but one seed: no test
    res[('zeros', 0.2)]['MARGO'] = [dict(error='RuntimeError: out of memory', seed=0)]  # a failed run
    num, _ = robustness_table(robustness_long(res))
    aim = aim_check(num, dict(seeds=1))
    assert not aim.loc['MARGO: (a)', 'met'] and 'significant gain in 0 of 2 kinds' in aim.loc['MARGO: (a)', 'short']
    assert not aim.loc['MARGO: (b)', 'met'] and 'no paired test' in aim.loc['MARGO: (b)', 'short']   # one seed: no test, so no claim
    assert not aim.loc['MARGO: (c)', 'met'] and aim.loc['MARGO: (c)', 'short'] == 'no weight AUC at rho = 0.2'
    assert 'nan' in aim.loc['MARGO: (a)', 'measured']                    # the undefined p-value is shown, not hidden

def test_every_profile_names_only_known_robustness_settings():
    "A misspelt option or kind in a profile would fail only when its robustness notebook runs, hours in: every profile's plan is checked here."
    from margo.profiles import PROFILES
    from margo.robustness import robustness_plan, ROBUST_OPTIONS
    class S: pass
    for name, p in PROFILES.items():
        s = S(); s.p = p
        plan = robustness_plan(s)          # raises on an unknown kind or option
        assert set(plan['options']) <= set(ROBUST_OPTIONS) and set(plan['kinds']) <= set(KINDS), name
    assert PROFILES['real']['robustness']['options'] == list(ROBUST_OPTIONS)   # the real profile tries every attempt at the aim
