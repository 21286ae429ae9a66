"""margo.synthetic: the embedded default dataset, synthetic features for real interactions, determinism."""
import json, time, warnings
from pathlib import Path
import numpy as np
import pytest
import margo
from margo.data import DataError, load_dataset
from margo.synthetic import make_synthetic, synth_from, synthesize_features, simulate_interactions
from conftest import shared_data_path

@pytest.fixture(scope='module')
def default_synthetic(tmp_path_factory):
    root = tmp_path_factory.mktemp('synth')
    return root, make_synthetic(root)

def test_make_synthetic_round_trip(default_synthetic):
    root, path = default_synthetic
    assert path == root/'synthetic'
    assert {p.name for p in path.iterdir()} == {'synthetic.inter', 'image_feat.npy', 'text_feat.npy', 'reliability.npy',
                                                 'modalities.json', 'provenance.json', '.margo-outputs.json'}   # the record of margo's own files
    data = load_dataset(root, 'synthetic')
    s = data.stats()
    assert 1300 <= s['users'] <= 1700 and 650 <= s['items'] <= 950 and 18_000 <= s['interactions'] <= 30_000, s
    assert s['modalities'] == {'image': 4096, 'text': 384} and s['cold_users'] == 0 and s['cold_items'] == 0
    deg_u, deg_i = np.asarray((data.train + data.valid + data.test).sum(1)).ravel(), np.asarray((data.train + data.valid + data.test).sum(0)).ravel()
    assert deg_u.min() >= 5 and deg_i.min() >= 5                       # 5-core
    assert abs(s['train'] / s['interactions'] - 0.8) < 0.05
    assert data.reliability.dtype == np.uint8 and data.reliability.shape == (s['items'], 2)
    assert np.allclose(1 - data.reliability.mean(0), 0.2, atol=0.01)
    p = data.provenance
    assert p['generator'] == 'margo.synthetic.make_synthetic' and p['version'] == margo.__version__ and p['seed'] == 0
    assert p['interactions']['kind'] == 'synthetic' and p['features']['kind'] == 'synthetic'
    assert p['params']['n_users'] == 1500 and p['params']['n_items'] == 860
    assert all(np.isfinite(f.numpy()).all() for f in data.features.values())

def test_make_synthetic_deterministic(default_synthetic, tmp_path):
    root, path = default_synthetic
    again = make_synthetic(tmp_path, seed=0)
    for f in ['synthetic.inter', 'image_feat.npy', 'text_feat.npy', 'reliability.npy', 'modalities.json']:
        assert (again/f).read_bytes() == (path/f).read_bytes(), f
    other = make_synthetic(tmp_path, name='s1', seed=1, n_users=300, n_items=200, dims={'image': 8, 'text': 8})
    small = make_synthetic(tmp_path, name='s1b', seed=1, n_users=300, n_items=200, dims={'image': 8, 'text': 8})
    assert (other/'s1.inter').read_bytes() == (small/'s1b.inter').read_bytes()
    assert (other/'s1.inter').read_bytes() != (path/'synthetic.inter').read_bytes()

def test_corruption_kinds():
    _, q = simulate_interactions(n_users=200, n_items=120, seed=2)
    clean, rel0, _ = synthesize_features(q, dims={'image': 32}, corrupt=0.0, seed=4)
    assert rel0.all()
    for share, kind in [(1.0, 'wrong'), (0.0, 'noise')]:
        f, rel, info = synthesize_features(q, dims={'image': 32}, corrupt=0.3, wrong_share=share, seed=4)
        bad = rel[:, 0] == 0
        assert bad.sum() == round(0.3 * len(q))
        assert np.array_equal(f['image'][~bad], clean['image'][~bad])
        eq_other = (f['image'][bad][:, None] == clean['image'][None]).all(-1)  # corrupted row == some clean row
        if kind == 'wrong':
            assert eq_other.any(1).all() and not eq_other[np.arange(bad.sum()), np.flatnonzero(bad)].any()
        else:
            assert not eq_other.any()

def test_synth_from_real_keeps_source(tmp_path):
    src_root = shared_data_path(); src = shared_data_path('tiktok')
    before = {p.name: (p.stat().st_size, p.stat().st_mtime_ns) for p in src.iterdir()}
    out = synth_from(src_root, 'tiktok', tmp_path, dims={'image': 256, 'text': 64}, seed=0)
    assert out == tmp_path/'tiktok_synth'
    assert {p.name: (p.stat().st_size, p.stat().st_mtime_ns) for p in src.iterdir()} == before
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        real, syn = load_dataset(src_root, 'tiktok'), load_dataset(tmp_path, 'tiktok_synth')
    for split in ('train', 'valid', 'test'):
        assert (getattr(real, split) != getattr(syn, split)).nnz == 0
    assert syn.stats()['modalities'] == {'image': 256, 'text': 64}
    assert np.allclose(1 - syn.reliability.mean(0), 0.2, atol=0.01)
    p = syn.provenance
    assert p['interactions'] == {'kind': 'real', 'source': str(src), 'split': 'as in the source (x_label unchanged)'}
    assert p['features']['kind'] == 'synthetic' and p['generator'] == 'margo.synthetic.synth_from'
    again = synth_from(src_root, 'tiktok', tmp_path, out_name='again', dims={'image': 256, 'text': 64}, seed=0)
    assert (again/'image_feat.npy').read_bytes() == (out/'image_feat.npy').read_bytes()

def test_synth_from_never_writes_into_source(tmp_path):
    src_root = shared_data_path('amazon'); shared_data_path('amazon', 'baby')
    with pytest.raises(DataError, match='is the source folder'):
        synth_from(src_root, 'baby', src_root, out_name='baby')
