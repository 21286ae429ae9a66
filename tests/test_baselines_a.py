"BPR-MF, LightGCN, VBPR and MMGCN: losses, gradients, full-ranking scores, feature checks, a short training run."
import math

import pytest
import torch

from margo.models import get_model, Recommender
from margo.synthetic import toy_data
from margo.baselines.bprmf import BPRMF
from margo.baselines.lightgcn import LightGCN
from margo.baselines.vbpr import VBPR
from margo.baselines.mmgcn import MMGCN

NAMES = ['bprmf', 'lightgcn', 'vbpr', 'mmgcn']
MULTIMODAL = ['vbpr', 'mmgcn']


def _batch(data, n=16, seed=0):
    g = torch.Generator().manual_seed(seed)
    return (torch.randint(data.n_users, (n,), generator=g), torch.randint(data.n_items, (n,), generator=g),
            torch.randint(data.n_items, (n,), generator=g))


@pytest.mark.parametrize('name', NAMES)
def test_registry_and_defaults(name):
    cls = get_model(name)
    assert issubclass(cls, Recommender) and cls.name == name
    assert cls.hyper['lr'] == 1e-3 and cls.hyper['dim'] == 64
    assert set(cls.search_grid()) <= set(cls.hyper) and all(len(v) > 1 for v in cls.search_grid().values())


@pytest.mark.parametrize('name', NAMES)
def test_loss_backward_and_scores(name):
    torch.manual_seed(0)
    data = toy_data()
    m = get_model(name)(data)
    parts = m.loss(*_batch(data))
    assert {'loss', 'bpr', 'reg'} <= set(parts)
    assert torch.isfinite(parts['loss']) and parts['loss'].ndim == 0
    assert math.isclose(float(parts['loss']), float(parts['bpr'] + parts['reg']), rel_tol=1e-5)
    parts['loss'].backward()
    for n, p in m.named_parameters():
        assert p.grad is not None and torch.isfinite(p.grad).all(), f"{name}: no gradient for {n}"
    assert sum(float(p.grad.abs().sum()) for p in m.parameters()) > 0
    m.eval(); m.prepare_eval()
    users = torch.tensor([0, 3, 7])
    s = m.score_all(users)
    assert s.shape == (3, data.n_items) and torch.isfinite(s).all()


@pytest.mark.parametrize('name', NAMES)
def test_training_steps_lower_the_loss(name):
    torch.manual_seed(0)
    data = toy_data()
    m = get_model(name)(data)
    batch = _batch(data, n=64)
    opt = torch.optim.Adam(m.parameters(), lr=1e-2)
    first = float(m.loss(*batch)['loss'])
    for _ in range(30):
        opt.zero_grad(); m.loss(*batch)['loss'].backward(); opt.step()
    assert float(m.loss(*batch)['loss']) < first


@pytest.mark.parametrize('name', MULTIMODAL)
def test_features_required(name):
    with pytest.raises(ValueError, match=name):
        get_model(name)(toy_data(dims={}))


@pytest.mark.parametrize('name', MULTIMODAL)
def test_any_number_of_modalities(name):
    one = toy_data(dims={'text': 8})
    three = toy_data(dims={'image': 16, 'text': 8, 'audio': 5})
    for data in (one, three):
        m = get_model(name)(data)
        m.loss(*_batch(data))['loss'].backward()
        m.prepare_eval()
        assert m.score_all(torch.arange(4)).shape == (4, data.n_items)


def test_vbpr_uses_all_modalities():
    m = VBPR(toy_data(dims={'image': 16, 'text': 8, 'audio': 5}))
    assert m.item_linear.in_features == 16 + 8 + 5


def test_lightgcn_propagation_is_mean_of_layers():
    torch.manual_seed(0)
    data = toy_data()
    m = LightGCN(data, n_layers=2)
    A = m.adj.A.to_dense()
    e0 = torch.cat([m.user_emb, m.item_emb]).detach()
    e = (e0 + A @ e0 + A @ (A @ e0)) / 3
    U, I = m.propagate()
    torch.testing.assert_close(torch.cat([U, I]).detach(), e, rtol=1e-5, atol=1e-6)


def test_mmgcn_mmrec_runtime_options():
    data = toy_data()
    m = MMGCN(data, concat=True, n_layers=3, frozen_id=True)
    m.loss(*_batch(data))['loss'].backward()
    assert m.id_embedding.grad is None
    assert m.gcn['image'].mlp.weight.grad is not None


def test_unknown_hyperparameter():
    with pytest.raises(ValueError, match='unknown hyperparameter'):
        BPRMF(toy_data(), n_layer=3)


@pytest.mark.parametrize('name', NAMES)
def test_two_epochs_with_the_trainer(name):
    import margo.trainer as trainer                 # our own module: an import failure is a failure, not a skip
    res = trainer.train(name, toy_data(), epochs=2, progress=False, device='cpu')
    assert res['model'] == name and res['stage_epochs'] == [2] and 0 <= res['test']['recall@20'] <= 1
    assert 0.0 <= res['test']['recall@20'] <= 1.0 and math.isfinite(res['valid']['ndcg@20'])


@pytest.mark.skipif(not torch.cuda.is_available(), reason='no CUDA device')
@pytest.mark.parametrize('name', NAMES)
def test_on_cuda(name):
    data = toy_data()
    m = get_model(name)(data).to('cuda')
    users, pos, neg = (t.cuda() for t in _batch(data))
    m.loss(users, pos, neg)['loss'].backward()
    m.prepare_eval()
    assert m.score_all(users).device.type == 'cuda'
