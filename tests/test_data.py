"""margo.data: validation of every malformed input (library and CLI), real-data statistics, splits, sampling."""
import json, os, subprocess, sys, time, warnings
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
import torch
from margo.data import DataError, MMDataset, load_dataset, read_inter
from margo.layout import resplit, split_counts, write_dataset
from margo.sampling import NegativeSampler, bpr_batches
from conftest import shared_data_path

HEADER = 'userID\titemID\tx_label\n'
GOOD_ROWS = [(0, 0, 0), (0, 1, 0), (0, 2, 1), (1, 1, 0), (1, 2, 2), (2, 0, 0), (2, 2, 0)]

def make(root, name='d', rows=GOOD_ROWS, text=None, feats=None, extra=None):
    "Write a small dataset folder; `text` replaces the whole .inter file, `extra` maps file name -> writer."
    d = Path(root)/name; d.mkdir(parents=True, exist_ok=True)
    if text is None: text = HEADER + ''.join('\t'.join(map(str, r)) + '\n' for r in rows)
    if text is not False: (d/f'{name}.inter').write_text(text)
    feats = {'image': np.ones((3, 4)), 'text': np.arange(6.).reshape(3, 2)} if feats is None else feats
    for m, a in feats.items(): np.save(d/f'{m}_feat.npy', a)
    for fname, write in (extra or {}).items(): write(d/fname)
    return root

def nan_at(row, value=np.nan):
    a = np.ones((3, 4)); a[row, 2] = value; return a

# (case id, builder(tmp_path) -> root, message fragment)
BAD = [
    ('missing_folder', lambda t: t, 'dataset folder not found'),
    ('missing_inter', lambda t: make(t, text=False), 'd.inter: file not found'),
    ('empty_file', lambda t: make(t, text=''), 'file is empty'),
    ('missing_column', lambda t: make(t, text='userID\titemID\tlabel\n0\t0\t0\n'), "missing column 'x_label'"),
    ('comma_separated', lambda t: make(t, text='userID,itemID,x_label\n0,0,0\n'), "missing column 'userID'"),
    ('non_integer_text', lambda t: make(t, text=HEADER + '0\t0\t0\n1\tabc\t0\n'), "line 3: itemID is 'abc'"),
    ('non_integer_float', lambda t: make(t, text=HEADER + '0\t0\t0\n1.5\t1\t0\n'), 'line 3: userID is 1.5'),
    ('blank_line', lambda t: make(t, text=HEADER + '0\t0\t0\n\n1\t1\t0\n'), 'line 3: userID is missing'),
    ('short_row', lambda t: make(t, text=HEADER + '0\t0\t0\n1\t1\n'), 'line 3: 2 fields, expected 3'),
    ('long_row', lambda t: make(t, text=HEADER + '0\t0\t0\n1\t1\t0\t5\n'), 'line 3'),
    ('negative_user', lambda t: make(t, text=HEADER + '0\t0\t0\n-1\t1\t0\n'), 'line 3: userID is -1'),
    ('negative_item', lambda t: make(t, text=HEADER + '0\t0\t0\n1\t-2\t0\n'), 'line 3: itemID is -2'),
    ('users_not_dense', lambda t: make(t, rows=[(0, 0, 0), (0, 1, 0), (2, 2, 0)]), 'userID ids are not dense: id 1 does not appear'),
    ('items_not_dense', lambda t: make(t, rows=[(0, 0, 0), (0, 1, 0), (1, 3, 0)], feats={}), 'itemID ids are not dense: id 2 does not appear'),
    ('x_label_range', lambda t: make(t, rows=GOOD_ROWS[:3] + [(1, 1, 3)] + GOOD_ROWS[4:]), 'line 5: x_label is 3, expected 0 (train), 1 (valid) or 2 (test)'),
    ('x_label_negative', lambda t: make(t, text=HEADER + '0\t0\t0\n1\t1\t-1\n'), 'line 3: x_label is -1, expected 0 (train), 1 (valid) or 2 (test)'),
    ('duplicates', lambda t: make(t, rows=GOOD_ROWS + [(0, 1, 2), (2, 2, 1)]), '2 duplicate (userID, itemID) pairs'),
    ('duplicate_line', lambda t: make(t, rows=GOOD_ROWS + [(0, 1, 2), (2, 2, 1)]), 'user 0 item 1 at line 9 (already at line 3)'),
    ('empty_train', lambda t: make(t, rows=[(0, 0, 1), (1, 1, 2), (2, 2, 1)]), 'empty train split'),
    ('header_only', lambda t: make(t, text=HEADER), 'no interactions'),
    ('feature_rows', lambda t: make(t, feats={'image': np.ones((4, 4))}), 'image_feat.npy: 4 rows, expected n_items = 3'),
    ('feature_nan', lambda t: make(t, feats={'image': nan_at(1)}), 'image_feat.npy: row 1 (item id) contains NaN or Inf'),
    ('feature_inf', lambda t: make(t, feats={'text': nan_at(2, np.inf)}), 'text_feat.npy: row 2 (item id) contains NaN or Inf'),
    ('feature_1d', lambda t: make(t, feats={'image': np.ones(3)}), 'expected a 2-D (n_items, dim) array'),
    ('feature_3d', lambda t: make(t, feats={'image': np.ones((3, 2, 2))}), 'expected a 2-D (n_items, dim) array'),
    ('feature_not_npy', lambda t: make(t, feats={}, extra={'image_feat.npy': lambda p: p.write_text('not numpy')}), 'cannot read as a .npy array'),
    ('reliability_no_names', lambda t: make(t, extra={'reliability.npy': lambda p: np.save(p, np.ones((3, 2), np.uint8))}), 'modalities.json: file not found'),
    ('reliability_shape', lambda t: make(t, extra={'reliability.npy': lambda p: np.save(p, np.ones((2, 2), np.uint8)),
                                                  'modalities.json': lambda p: p.write_text('["image", "text"]')}), 'expected (n_items, M) = (3, 2)'),
    ('reliability_names', lambda t: make(t, extra={'reliability.npy': lambda p: np.save(p, np.ones((3, 2), np.uint8)),
                                                  'modalities.json': lambda p: p.write_text('["image", "audio"]')}), 'expected the modalities of the *_feat.npy files'),
    ('provenance_json', lambda t: make(t, extra={'provenance.json': lambda p: p.write_text('{bad json')}), 'provenance.json: invalid JSON'),
]

def test_good_dataset_loads(tmp_path):
    data = load_dataset(make(tmp_path), 'd')
    assert data.stats() == dict(users=3, items=3, interactions=7, train=5, valid=1, test=1,
                                modalities={'image': 4, 'text': 2}, cold_users=0, cold_items=0)
    assert data.train.dtype == np.float32 and data.features['image'].dtype == torch.float32

@pytest.mark.parametrize('case,build,fragment', BAD, ids=[b[0] for b in BAD])
def test_bad_input_raises(tmp_path, case, build, fragment):
    root = build(tmp_path)
    with pytest.raises(DataError) as e:
        load_dataset(root, 'd')
    msg = str(e.value)
    assert fragment in msg, msg
    assert '\n' not in msg

@pytest.fixture(scope='module')
def cli_runs(tmp_path_factory):
    "Run `python -m margo.cli stats ROOT d` on every bad case (all at once) and on the good dataset."
    if not (Path(__file__).resolve().parents[1]/'margo'/'cli.py').exists(): pytest.skip('margo/cli.py not written yet')
    cases = [(case, build(tmp_path_factory.mktemp(case))) for case, build, _ in BAD + [('good', make, None)]]
    def run(item):
        case, root = item
        r = subprocess.run([sys.executable, '-m', 'margo.cli', 'stats', str(root), 'd'], capture_output=True, text=True, timeout=600)
        return case, (r.returncode, r.stdout, r.stderr)
    with ThreadPoolExecutor(2) as ex:   # two at a time: each run imports torch
        return dict(ex.map(run, cases))

@pytest.mark.parametrize('case,build,fragment', BAD, ids=[b[0] for b in BAD])
def test_bad_input_cli(cli_runs, case, build, fragment):
    rc, out, err = cli_runs[case]
    assert rc == 2, (rc, err)
    assert len(err.strip().splitlines()) == 1, err
    assert 'Traceback' not in err and fragment in err, err
    assert out == ''

def test_good_cli(cli_runs):
    rc, out, err = cli_runs['good']
    assert rc == 0, err
    assert json.loads(out)['interactions'] == 7

README = {  # data/README.md of the shared data
    ('amazon', 'baby'): (19445, 7050, 160792, 119674, 20559, 20559),
    ('amazon', 'sports'): (35598, 18357, 296337, 218409, 40029, 37899),
    ('amazon', 'clothing'): (39387, 23033, 278677, 197338, 41189, 40150),
    ('', 'tiktok'): (9308, 6710, 68722, 59541, 3051, 6130),
}

@pytest.mark.parametrize('group,name', list(README), ids=[k[1] for k in README])
def test_real_stats_match_readme(group, name):
    root = shared_data_path(group) if group else shared_data_path()
    shared_data_path(*([group] if group else []), name)
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter('always')
        data = load_dataset(root, name)
    s = data.stats()
    assert (s['users'], s['items'], s['interactions'], s['train'], s['valid'], s['test']) == README[(group, name)]
    if name == 'tiktok':
        assert s['modalities'] == {'image': 128, 'audio': 128} and data.modalities == ['image', 'audio']
        assert (s['cold_users'], s['cold_items']) == (10, 465)
        assert len(w) == 1 and '10 users have held-out but no train interactions' in str(w[0].message)
        ev = data.eval_users('test')
        assert (np.diff(data.train.indptr)[ev] > 0).all() and (np.diff(data.test.indptr)[ev] > 0).all()
    else:
        assert s['modalities'] == {} and s['cold_users'] == 0 and len(w) == 0

def test_cli_stats_tiktok():
    root = shared_data_path(); shared_data_path('tiktok')
    r = subprocess.run([sys.executable, '-m', 'margo.cli', 'stats', str(root), 'tiktok'], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    s = json.loads(r.stdout)
    assert (s['users'], s['items'], s['interactions'], s['cold_users'], s['cold_items']) == (9308, 6710, 68722, 10, 465)

def test_resplit_ratios_and_rules():
    rng = np.random.default_rng(0)
    n = rng.integers(1, 60, 2000)
    df = pd.DataFrame({'userID': np.repeat(np.arange(2000), n), 'itemID': np.concatenate([np.arange(k) for k in n])})
    out = resplit(df, seed=5)
    assert out[['userID', 'itemID']].equals(df[['userID', 'itemID']])          # rows keep their order
    per = pd.crosstab(out.userID, out.x_label).reindex(columns=[0, 1, 2], fill_value=0).to_numpy()
    ntr, nv, nt = split_counts(n)
    assert (per == np.stack([ntr, nv, nt], 1)).all()
    big = n >= 3
    assert (per[big] >= 1).all()                                               # >=1 train, valid, test item
    assert (ntr >= 1).all()
    frac = per[n >= 20].sum(0) / per[n >= 20].sum()
    assert np.allclose(frac, [0.8, 0.1, 0.1], atol=0.02)
    assert resplit(df, seed=5).equals(out) and not resplit(df, seed=6).equals(out)

def _random_train(n_users, n_items, nnz, seed=0):
    keys = np.unique(np.random.default_rng(seed).integers(0, n_users * n_items, nnz))
    return sp.csr_matrix((np.ones(len(keys), np.float32), (keys // n_items, keys % n_items)), shape=(n_users, n_items))

def test_sampler_never_returns_train_items_and_is_uniform():
    train = _random_train(50, 40, 800)
    ns = NegativeSampler(train)
    users = torch.arange(50).repeat(400)
    neg = ns.sample(users, torch.Generator().manual_seed(1))
    dense = torch.from_numpy(train.toarray())
    assert dense[users, neg].sum() == 0
    # uniform over each user's non-train items: chi-square-ish check on user 0
    free = torch.nonzero(dense[0] == 0).flatten()
    counts = torch.bincount(neg[users == 0], minlength=40)[free].float()
    assert counts.sum() == 400 and (counts > 0).all()
    assert ((counts - counts.mean()) ** 2 / counts.mean()).sum() < 3 * len(free)
    assert torch.equal(ns.sample(users, torch.Generator().manual_seed(1)), neg)

def test_sampler_full_user_raises():
    train = sp.csr_matrix(np.array([[1, 1], [1, 0]], np.float32))
    with pytest.raises(DataError, match='user 0 has interacted in train with every item'):
        NegativeSampler(train).sample(torch.tensor([0]), torch.Generator())

def test_bpr_batches_cover_train_once(tmp_path):
    data = load_dataset(make(tmp_path), 'd')
    ns = NegativeSampler(data.train)
    got = list(bpr_batches(data, 2, torch.Generator().manual_seed(0), ns))
    u, p, n = (torch.cat(t) for t in zip(*got))
    assert all(x.dtype == torch.int64 for x in (u, p, n))
    assert sorted(zip(u.tolist(), p.tolist())) == sorted(zip(*data.train.nonzero()))
    assert torch.from_numpy(data.train.toarray())[u, n].sum() == 0
    again = list(bpr_batches(data, 2, torch.Generator().manual_seed(0), ns))
    assert all(torch.equal(a, b) for x, y in zip(got, again) for a, b in zip(x, y))

def test_with_modalities_and_write_refuses_source(tmp_path):
    rel = np.array([[1, 0], [0, 1], [1, 1]], np.uint8)
    df = pd.DataFrame(GOOD_ROWS, columns=['userID', 'itemID', 'x_label'])
    write_dataset(tmp_path, 'w', df, {'text': np.ones((3, 2)), 'image': np.ones((3, 5))}, reliability=rel,
                  modalities=['text', 'image'], provenance={'generator': 'test'})
    data = load_dataset(tmp_path, 'w')
    assert data.modalities == ['image', 'text'] and (data.reliability == rel[:, [1, 0]]).all()
    t = data.with_modalities(['text'])
    assert t.modalities == ['text'] and (t.reliability[:, 0] == rel[:, 0]).all() and t.train is data.train
    # rewrite with fewer modalities: stale feature files are removed
    write_dataset(tmp_path, 'w', df, {'audio': np.ones((3, 2))}, provenance={'generator': 'test'})
    assert load_dataset(tmp_path, 'w').modalities == ['audio'] and load_dataset(tmp_path, 'w').reliability is None
    with pytest.raises(DataError, match='exists, expected a new folder'):
        write_dataset(tmp_path, 'w', df, {}, provenance={}, overwrite=False)
    make(tmp_path, 'src')   # a folder of "real" data: no provenance.json
    with pytest.raises(DataError, match='is not a folder margo generated'):
        write_dataset(tmp_path, 'src', df, {})
