"""A trained run in use: `load_run`, `recommend` and `export` score exactly as the model in memory; `margo recommend`/`export`."""
import json, subprocess, sys
import numpy as np, pandas as pd, torch
import pytest
from margo.synthetic import make_synthetic
from margo.data import load_dataset
from margo.models import get_model
from margo.trainer import fit, FitSettings
from margo.runfolder import seed_everything
from margo.checkpoint import RunError
from margo.use import load_run, recommend, export

TINY = dict(n_users=120, n_items=80, dims={'image': 16, 'text': 8})

@pytest.fixture(scope='module', params=['margo', 'dragon', 'lightgcn'])
def trained(request, tmp_path_factory):
    "A tiny dataset with MMRec id-mapping files, one short run of the model, and the trained model kept in memory."
    root = tmp_path_factory.mktemp('data')
    folder = make_synthetic(root, name='tiny', seed=0, **TINY)
    data = load_dataset(root, 'tiny', warn_cold=False)
    pd.DataFrame({'user_id': [f'U{i:03d}' for i in range(data.n_users)], 'userID': range(data.n_users)}).to_csv(folder/'u_id_mapping.csv', sep='\t', index=False)
    pd.DataFrame({'asin': [f'B{i:04d}' for i in range(data.n_items)], 'itemID': range(data.n_items)}).to_csv(folder/'i_id_mapping.csv', sep='\t', index=False)
    seed_everything(999)
    model = get_model(request.param)(data, lr=1e-2)
    run = tmp_path_factory.mktemp('run')/'run'
    fit(model, data, FitSettings(epochs=2, batch_size=256, device='cpu'), run, progress=False)
    return request.param, data, model, run

def test_load_run_scores_as_trained(trained):
    name, data, model, run = trained
    loaded, cfg = load_run(run)
    users = torch.arange(data.n_users)
    assert cfg['model'] == name and cfg['dataset'] == 'tiny' and loaded.stage == model.stage
    assert torch.equal(loaded.score_all(users), model.score_all(users))
    if name == 'dragon': assert torch.equal(loaded.user_src, model.user_src)     # the sampled user graph is state

def test_recommend_validated(trained):
    name, data, model, run = trained
    loaded, cfg = load_run(run)
    k = 7
    df = recommend(loaded, cfg['data'], k=k)
    assert list(df.columns) == ['user', 'rank', 'item', 'score']
    assert (df.groupby('user').size() == k).all() and df['user'].nunique() == data.n_users
    assert df['user'].str.match(r'U\d{3}$').all() and df['item'].str.match(r'B\d{4}$').all()    # ids mapped
    scores = model.score_all(torch.arange(data.n_users))
    for u, g in df.groupby('user'):
        uid, items = int(u[1:]), [int(i[1:]) for i in g['item']]
        assert not set(items) & set(data.train[uid].indices)                                      # no train item
        assert list(g['rank']) == list(range(1, k + 1))
        np.testing.assert_array_equal(g['score'].to_numpy(), scores[uid, items].numpy())         # the model's own scores
        rest = np.setdiff1d(np.arange(data.n_items), np.r_[data.train[uid].indices, items])
        assert scores[uid, rest].max() <= g['score'].min()                                         # nothing better was left out
    kept = recommend(loaded, cfg['data'], users=[3], k=data.n_items, exclude_train=False)
    assert len(kept) == data.n_items

def test_export_scores_as_trained(trained, tmp_path):
    name, data, model, run = trained
    desc = export(run, tmp_path/'emb')
    U, I = np.load(tmp_path/'emb'/'user_embeddings.npy'), np.load(tmp_path/'emb'/'item_embeddings.npy')
    assert desc['files']['user_embeddings.npy'] == list(U.shape) and U.shape[0] == data.n_users and I.shape[0] == data.n_items
    want = model.score_all(torch.arange(data.n_users)).numpy()
    np.testing.assert_allclose(U @ I.T, want, rtol=1e-4, atol=1e-5)
    assert json.loads((tmp_path/'emb'/'embeddings.json').read_text()) == desc
    if name in ('margo', 'dragon'):
        f = np.load(tmp_path/'emb'/'fusion.npy')
        by_mod = sum(f[:, j] * (np.load(tmp_path/'emb'/f'user_{m}.npy') @ np.load(tmp_path/'emb'/f'item_{m}.npy').T)
                     for j, m in enumerate(data.modalities))
        np.testing.assert_allclose(by_mod, want, rtol=1e-4, atol=1e-5)
        assert desc['modalities'] == data.modalities
    else: assert 'modalities' not in desc

def cli(*args):
    return subprocess.run([sys.executable, '-m', 'margo.cli', *map(str, args)], capture_output=True, text=True)

def test_cli_recommend_and_export(trained, tmp_path):
    name, data, model, run = trained
    if name != 'margo': pytest.skip('the command line is checked on one model')
    r = cli('recommend', run, '--users', '0,5', '--k', 3)
    assert r.returncode == 0, r.stderr
    df = pd.read_csv(pd.io.common.StringIO(r.stdout))
    assert list(df['user']) == ['U000'] * 3 + ['U005'] * 3
    j = cli('recommend', run, '--users', '0,5', '--k', 3, '--format', 'json')
    assert [d['item'] for d in json.loads(j.stdout)] == list(df['item'])
    r = cli('export', run, tmp_path/'e')
    assert r.returncode == 0, r.stderr and (tmp_path/'e'/'embeddings.json').exists()
    for args, fragment in [(('recommend', tmp_path/'none'), 'not a folder'), (('recommend', run, '--users', 'a,b'), '--users'),
                           (('recommend', run, '--users', 9999), 'out of range'), (('recommend', run, '--k', 0), '--k'),
                           (('recommend', run, '--users', 1, '--all'), 'not allowed with')]:
        r = cli(*args)
        assert r.returncode == 2 and fragment in r.stderr and len(r.stderr.strip().splitlines()) == 1 and 'Traceback' not in r.stderr, (args, r.stderr)

def test_load_run_errors(trained, tmp_path):
    name, data, model, run = trained
    with pytest.raises(RunError, match='differs from the one'): load_run(run, data=data.with_modalities(['image']))
    m = json.loads((run/'metrics.json').read_text())
    moved = tmp_path/'moved'; moved.mkdir()
    for f in run.glob('stage-*.pt'): (moved/f.name).write_bytes(f.read_bytes())
    (moved/'metrics.json').write_text(json.dumps({**m, 'dataset_dir': None}))
    with pytest.raises(RunError, match='records no dataset folder'): load_run(moved)
    loaded, _ = load_run(moved, data=data)
    assert torch.equal(loaded.score_all(torch.arange(4)), model.score_all(torch.arange(4)))
