"""`margo audit`: a tiny MARGO run on the embedded synthetic data (small size), audited; the CSV, the
printed ROC AUCs, the item-id mapping, and the one-line errors (exit status 2)."""
import json, shutil, subprocess, sys
import numpy as np
import pandas as pd
import pytest
from margo.synthetic import make_synthetic
from margo.data import load_dataset
from margo.metrics import roc_auc

TINY = dict(n_users=150, n_items=90, dims={'image': 32, 'text': 16})

def cli(*args):
    return subprocess.run([sys.executable, '-m', 'margo.cli', *map(str, args)], capture_output=True, text=True)

@pytest.fixture(scope='module')
def runs(tmp_path_factory):
    "A tiny synthetic dataset (with an i_id_mapping.csv), a MARGO run and a DRAGON run on it."
    root = tmp_path_factory.mktemp('audit')
    folder = make_synthetic(root, name='tiny', seed=0, **TINY)
    n = load_dataset(root, 'tiny').n_items
    pd.DataFrame({'asin': [f'A{i:05d}' for i in range(n)], 'itemID': np.arange(n)}).to_csv(folder/'i_id_mapping.csv', sep='\t', index=False)
    for model in ('margo', 'dragon'):
        r = cli('train', root, 'tiny', '--model', model, '--out', root/model, '--epochs', 3, '--lr', 1e-2, '--batch-size', 256, '--quiet')
        assert r.returncode == 0, r.stderr
    return root

def test_training_writes_item_reliability(runs):
    t = pd.read_csv(runs/'margo'/'item_reliability.csv', dtype={'item_id': str})
    data = load_dataset(runs, 'tiny')
    assert len(t) == data.n_items and (t['item'] == np.arange(data.n_items)).all()
    assert (t['item_id'] == [f'A{i:05d}' for i in range(data.n_items)]).all()
    assert (t[['reliable_image', 'reliable_text']].to_numpy() == data.reliability).all()
    assert t['n_pos'].sum() == 3 * data.train.nnz                         # 3 epochs of triples as positives
    seen = t['n_pos'] > 0
    assert np.allclose(t.loc[seen, ['z_pos_image', 'z_pos_text']].sum(axis=1), 1, atol=1e-5)
    h = pd.read_csv(runs/'margo'/'history.csv')
    s2 = h[h.stage == 'margo']
    assert {'weight_std_image', 'weight_entropy', 'weight_auc_image', 'weight_auc_text'} <= set(h.columns)
    assert s2['weight_entropy'].between(0, np.log(2) + 1e-9).all() and h.loc[h.stage == 'backbone', 'weight_entropy'].isna().all()

def test_audit_csv_and_aucs(runs, tmp_path):
    out = tmp_path/'audit.csv'
    r = cli('audit', runs/'margo', '--out', out)
    assert r.returncode == 0, r.stderr
    printed = json.loads(r.stdout)
    a = pd.read_csv(out, dtype={'item_id': str})
    data = load_dataset(runs, 'tiny'); n = data.n_items
    assert list(a.columns) == ['item', 'item_id', 'modality', 'weight', 'mean_z_pos', 'n_pos', 'rank', 'reliable']
    assert printed['rows'] == len(a) == 2 * n and printed['written'] == str(out)
    w = pd.read_csv(runs/'margo'/'item_weights.csv')
    for j, m in enumerate(['image', 'text']):
        part = a[a.modality == m]
        assert part['rank'].tolist() == list(range(1, n + 1))                 # 1 = least trusted
        assert (np.diff(part['weight'].to_numpy()) >= 0).all()
        assert sorted(part['item']) == list(range(n))
        assert (part['item_id'] == [f'A{i:05d}' for i in part['item']]).all()  # ids through i_id_mapping.csv
        assert np.allclose(part.sort_values('item')['weight'], w[m])
        assert (part.sort_values('item')['reliable'].to_numpy() == data.reliability[:, j]).all()
        assert printed['roc_auc']['weight'][m] == pytest.approx(roc_auc(w[m], data.reliability[:, j]))
        assert 0 <= printed['roc_auc']['signal'][m] <= 1

def test_audit_top_and_default_out(runs):
    r = cli('audit', runs/'margo', '--top', 5)
    assert r.returncode == 0, r.stderr
    a = pd.read_csv(runs/'margo'/'audit.csv')
    assert len(a) == 10 and a.groupby('modality')['rank'].apply(list).tolist() == [[1, 2, 3, 4, 5]] * 2

def test_audit_without_ground_truth(runs, tmp_path):
    "No planted truth: the CSV has no `reliable` column and nothing but the file is printed."
    run = tmp_path/'run'; shutil.copytree(runs/'margo', run)
    t = pd.read_csv(run/'item_reliability.csv'); t.drop(columns=['reliable_image', 'reliable_text']).to_csv(run/'item_reliability.csv', index=False)
    r = cli('audit', run)
    assert r.returncode == 0, r.stderr
    assert 'roc_auc' not in json.loads(r.stdout) and 'reliable' not in pd.read_csv(run/'audit.csv').columns

@pytest.mark.parametrize('case,fragment', [
    ('dragon', "expected a MARGO run"),
    ('empty', "metrics.json: not found"),
    ('no_reliability', "item_reliability.csv: not found"),
    ('top0', "--top must be >= 1"),
    ('topx', "--top must be an integer"),
])
def test_audit_errors_one_line_exit_2(runs, tmp_path, case, fragment):
    args = {'dragon': [runs/'dragon'], 'empty': [tmp_path], 'top0': [runs/'margo', '--top', 0], 'topx': [runs/'margo', '--top', 'x']}.get(case)
    if case == 'no_reliability':
        run = tmp_path/'run'; shutil.copytree(runs/'margo', run); (run/'item_reliability.csv').unlink(); args = [run]
    r = cli('audit', *args)
    assert r.returncode == 2 and fragment in r.stderr, r.stderr
    assert len(r.stderr.strip().splitlines()) == 1 and 'Traceback' not in r.stderr
