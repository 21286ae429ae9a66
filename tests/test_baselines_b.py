"Multimodal baselines LATTICE, BM3, FREEDOM, LGMRec: loss, gradients, scoring, failure without features, a short training run."
import pytest, torch
from margo.models import get_model
from margo.synthetic import toy_data

NAMES = ['lattice', 'bm3', 'freedom', 'lgmrec']
# hyperparameters that make every loss term active on the toy data (FREEDOM's default reg 0 switches its modality term off)
HP = dict(lattice={}, bm3={}, freedom=dict(reg=1e-3), lgmrec={})
TRAINED = dict(lattice=['user_embedding', 'item_id_embedding', 'modal_weight'],
               bm3=['user_embedding', 'item_id_embedding', 'predictor.weight'],
               freedom=['user_embedding', 'item_id_embedding'],
               lgmrec=['user_embedding', 'item_id_embedding'])

@pytest.fixture(scope='module')
def data(): return toy_data()

@pytest.mark.parametrize('name', NAMES)
def test_registry_and_name(name):
    cls = get_model(name)
    assert cls.name == name
    assert set(cls.search_grid()) <= set(cls.hyper) and cls.modalities_required >= 1   # multimodal: at least one modality

@pytest.mark.parametrize('name', NAMES)
def test_loss_finite_and_backward_reaches_parameters(name, data):
    torch.manual_seed(0)
    m = get_model(name)(data, **HP[name])
    m.train(); m.pre_epoch(torch.Generator().manual_seed(0))
    users, pos, neg = torch.arange(16), torch.arange(16) % data.n_items, (torch.arange(16) + 7) % data.n_items
    parts = m.loss(users, pos, neg)
    assert torch.isfinite(parts['loss'])
    parts['loss'].backward()
    params = dict(m.named_parameters())
    for p in TRAINED[name]: assert params[p].grad is not None and params[p].grad.abs().sum() > 0, p
    # every modality's projection receives a gradient
    got = [n for n, p in params.items() if ('trs' in n) and p.grad is not None and p.grad.abs().sum() > 0]
    for mod in data.modalities: assert any(mod in n for n in got), (mod, got)
    opt = torch.optim.Adam(m.parameters(), lr=1e-3); opt.step()

@pytest.mark.parametrize('name', NAMES)
def test_score_all_shape(name, data):
    m = get_model(name)(data)
    m.eval(); m.prepare_eval()
    s = m.score_all(torch.tensor([0, 3, 5]))
    assert s.shape == (3, data.n_items) and torch.isfinite(s).all()

@pytest.mark.parametrize('name', NAMES)
def test_no_features_fails_clearly(name, data):
    with pytest.raises(ValueError, match=name):
        get_model(name)(data.with_modalities([]))

@pytest.mark.parametrize('name', NAMES)
def test_one_and_three_modalities(name):
    for dims in ({'text': 8}, {'image': 16, 'text': 8, 'audio': 4}):
        d = toy_data(dims=dims)
        m = get_model(name)(d, **HP[name]); m.pre_epoch(torch.Generator().manual_seed(0))
        out = m.loss(torch.arange(8), torch.arange(8), torch.arange(8, 16))
        assert torch.isfinite(out['loss'])
        m.prepare_eval(); assert m.score_all(torch.arange(2)).shape == (2, d.n_items)

@pytest.mark.parametrize('name', NAMES)
def test_two_epochs_with_trainer(name):
    import margo.trainer as trainer                 # our own module: an import failure is a failure, not a skip
    res = trainer.train(name, toy_data(), epochs=2, progress=False, device='cpu')
    assert res['model'] == name and res['stage_epochs'] == [2] and 0 <= res['test']['recall@20'] <= 1
