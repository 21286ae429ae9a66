import math
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp
import torch

from margo.data import MMDataset
from margo.metrics import METRICS, Evaluator, evaluate, paired_test, roc_auc
from margo.bench import bench_eval

DATA = Path(__file__).resolve().parents[2]/'shared'/'data'


def _toy(n_users=50, n_items=30, seed=0):
    rng = np.random.default_rng(seed)
    lab = rng.choice(4, size=(n_users, n_items), p=[.7, .15, .08, .07])  # 0 none, 1 train, 2 valid, 3 test
    lab[:2] = np.where(lab[:2] == 1, 0, lab[:2])                          # users 0-1: no train items
    csr = lambda v: sp.csr_matrix((lab == v).astype(np.float32))
    return MMDataset('toy', n_users, n_items, csr(1), csr(2), csr(3), features={})


def _brute_force(S, data, split, ks):
    train, held = data.train.toarray() > 0, getattr(data, split).toarray() > 0
    per = {f'{m}@{k}': [] for k in ks for m in METRICS}
    for u in range(data.n_users):
        T = set(np.flatnonzero(held[u]).tolist())
        if not T or not train[u].any(): continue
        ranked = sorted((i for i in range(data.n_items) if not train[u, i]), key=lambda i: -float(S[u, i]))
        for k in ks:
            rel = [int(i in T) for i in ranked[:k]]
            dcg = sum(r / math.log2(j + 2) for j, r in enumerate(rel))
            idcg = sum(1 / math.log2(j + 2) for j in range(min(len(T), k)))
            ap = sum(sum(rel[:j + 1]) / (j + 1) * r for j, r in enumerate(rel)) / min(len(T), k)
            for m, v in dict(recall=sum(rel) / len(T), precision=sum(rel) / k, ndcg=dcg / idcg, map=ap).items():
                per[f'{m}@{k}'].append(v)
    return {key: sum(v) / len(v) for key, v in per.items()}


@pytest.mark.parametrize('split', ['valid', 'test'])
def test_metrics_match_brute_force(split):
    for seed in range(2):
        d = _toy(seed=seed)
        S = torch.rand(d.n_users, d.n_items, generator=torch.Generator().manual_seed(seed))
        ks = (1, 2, 5, 10, 25)
        ref = _brute_force(S, d, split, ks)
        for bs in (6, 4096):
            got = evaluate(lambda u: S[u], d, split, ks=ks, metrics=METRICS, batch_size=bs)
            assert set(got) == set(ref)
            for k in ref: assert got[k] == pytest.approx(ref[k], abs=1e-9), k


def test_per_user_and_train_mask():
    d = _toy()
    S = torch.rand(d.n_users, d.n_items) + 10 * torch.from_numpy(d.train.toarray())  # train items score highest
    summary, per = evaluate(lambda u: S[u], d, 'valid', ks=(5, 20), per_user=True)
    np.testing.assert_array_equal(per['users'], d.eval_users('valid'))
    assert per['recall@20'].shape == per['users'].shape
    assert summary['recall@20'] == pytest.approx(per['recall@20'].mean())
    top = Evaluator(d, 'valid', ks=(20,)).topk(lambda u: S[u])
    assert np.take_along_axis(d.train.toarray()[per['users']], top.numpy(), 1).sum() == 0


def test_valid_items_not_masked_at_test_time():
    d = _toy()
    val = torch.from_numpy(d.valid.toarray())
    valid_first = lambda u: torch.rand(len(u), d.n_items) + 10 * val[u]
    ev = Evaluator(d, 'test', ks=(10,))
    top = ev.topk(valid_first)
    assert np.take_along_axis(d.valid.toarray()[ev.users], top.numpy(), 1).sum() > 0
    assert evaluate(valid_first, d, 'valid', ks=(20,))['recall@20'] == pytest.approx(1.0)


def test_caller_tensor_not_modified():
    d = _toy()
    S = torch.rand(d.n_users, d.n_items)
    before = S.clone()
    evaluate(lambda u: S[u], d)
    ev = Evaluator(d, 'valid', batch_size=len(d.eval_users('valid')))
    full = S[torch.from_numpy(ev.users)]
    ev(lambda u: full[:len(u)])          # a view of the caller's tensor: must be copied before masking
    assert torch.equal(S, before) and torch.isfinite(full).all()


def test_roc_auc():
    rng = np.random.default_rng(1)
    s, y = rng.random(40).round(1), rng.random(40) < .5
    P, N = s[y], s[~y]
    ref = sum((p > q) + .5 * (p == q) for p in P for q in N) / (len(P) * len(N))
    assert roc_auc(s, y) == pytest.approx(ref)
    assert roc_auc(torch.tensor([.3, .2, .1]), torch.tensor([1, 0, 0])) == 1.0
    assert roc_auc([1., 1., 1.], [1, 0, 1]) == 0.5
    assert math.isnan(roc_auc([.1, .2, .3], [0, 0, 0]))
    assert math.isnan(roc_auc([.1, .2, .3], [1, 1, 1]))


def test_paired_test():
    b = np.array([.090, .091, .089, .092, .090])
    t, p = paired_test(b + .003 + np.array([1, -1, 0, 1, -1]) * 1e-4, b)
    assert t > 0 and p < .01
    assert all(math.isnan(x) for x in paired_test([.1], [.2]))


@pytest.mark.skipif(not (DATA/'amazon'/'baby'/'baby.inter').exists(),
                    reason=f"real data not found at {DATA} (expected ../shared/data next to the repository)")
def test_bench_eval_baby():
    r = bench_eval(DATA/'amazon', 'baby', repeats=1)
    assert r['dataset'] == 'baby' and r['items'] == 7050 and r['users_evaluated'] > 0
    assert r['seconds_median'] > 0 and r['threads'] >= 1
    assert 0 <= r['random_scores']['recall@20'] <= 1
