"""End-to-end checks of `margo train`: outputs, variants, bad settings, determinism, resume after a kill."""
import json, os, signal, subprocess, sys, time
from pathlib import Path
import pandas as pd
import pytest
from margo.data import load_dataset
from margo.trainer import train

def cli(*args, **kw):
    return subprocess.run([sys.executable, '-m', 'margo.cli', *map(str, args)], capture_output=True, text=True, **kw)

def test_train_margo_writes_outputs(tiny, tmp_path):
    r = cli('train', tiny, 'tiny', '--model', 'margo', '--out', tmp_path/'run', '--epochs', 3, '--lr', 1e-2, '--batch-size', 256, '--quiet')
    assert r.returncode == 0, r.stderr
    m = json.loads((tmp_path/'run'/'metrics.json').read_text())
    assert m['model'] == 'margo' and m['variant'] == 'MARGO' and m['dataset'] == 'tiny'
    assert m['stage_epochs'] == [3, 3] and 4 <= m['best_epoch'] <= 6
    for split in ('valid', 'test'):
        assert set(m[split]) >= {'recall@10', 'recall@20', 'ndcg@10', 'ndcg@20'}
        assert all(0 <= v <= 1 for v in m[split].values())
    assert set(m['reliability_auc']) == {'image', 'text'}
    h = pd.read_csv(tmp_path/'run'/'history.csv')
    assert len(h) == 6 and list(h.stage) == ['backbone'] * 3 + ['margo'] * 3 and 'valid_recall@20' in h
    w = pd.read_csv(tmp_path/'run'/'item_weights.csv')
    assert list(w.columns) == ['item', 'image', 'text'] and len(w) == load_dataset(tiny, 'tiny').n_items
    assert ((w[['image', 'text']].sum(axis=1) - 1).abs() < 1e-5).all()
    assert json.loads(r.stdout)['test'] == m['test']

def test_train_dragon_writes_user_weights(tiny, tmp_path):
    r = cli('train', tiny, 'tiny', '--model', 'dragon', '--out', tmp_path/'run', '--epochs', 2, '--batch-size', 256, '--quiet')
    assert r.returncode == 0, r.stderr
    assert (tmp_path/'run'/'user_weights.csv').exists() and not (tmp_path/'run'/'item_weights.csv').exists()
    assert json.loads((tmp_path/'run'/'metrics.json').read_text())['stage_epochs'] == [2]

@pytest.mark.parametrize('flags,variant,stages', [
    (['--no-weights'], 'w/o weight', ['backbone']),
    (['--alpha', '0'], 'w/o L_cal', ['backbone', 'margo']),
    (['--no-confidence'], 'w/o confidence', ['backbone', 'margo']),
    (['--one-stage'], 'one-stage', ['margo']),
])
def test_ablation_variants(tiny, tmp_path, flags, variant, stages):
    r = cli('train', tiny, 'tiny', '--out', tmp_path/'run', '--epochs', 2, '--batch-size', 256, '--quiet', *flags)
    assert r.returncode == 0, r.stderr
    m = json.loads((tmp_path/'run'/'metrics.json').read_text())
    assert m['variant'] == variant and list(m['stages']) == stages

@pytest.mark.parametrize('args,fragment', [
    (['--model', 'nope'], 'unknown model'),
    (['--lr', '-0.1'], '--lr must be > 0'),
    (['--tau', '0'], '--tau must be > 0'),
    (['--epochs', '0'], '--epochs must be >= 1'),
    (['--hp', 'nonsense=1'], 'has no hyperparameter nonsense'),
])
def test_bad_settings_exit_2_in_one_line(tiny, tmp_path, args, fragment):
    r = cli('train', tiny, 'tiny', '--out', tmp_path/'run', *args)
    assert r.returncode == 2 and fragment in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1 and 'Traceback' not in r.stderr

def test_missing_dataset_exit_2(tmp_path):
    r = cli('train', tmp_path, 'absent', '--out', tmp_path/'run')
    assert r.returncode == 2 and 'not found' in r.stderr and len(r.stderr.strip().splitlines()) == 1

def test_same_seed_same_numbers(tiny):
    data = load_dataset(tiny, 'tiny')
    kw = dict(hp=dict(lr=1e-2), epochs=2, batch_size=256, progress=False)
    a, b = train('margo', data, seed=3, **kw), train('margo', data, seed=3, **kw)
    c = train('margo', data, seed=4, **kw)
    assert a['test'] == b['test'] and a['valid'] == b['valid']
    assert a['test'] != c['test']

def test_margo_stage1_is_dragon(tiny):
    data = load_dataset(tiny, 'tiny')
    kw = dict(hp=dict(lr=1e-2), epochs=2, batch_size=256, progress=False, seed=5)
    d, m = train('dragon', data, **kw), train('margo', data, **kw)
    assert m['stages']['backbone']['test'] == d['test'] and m['stages']['backbone']['best_epoch'] == d['best_epoch']

def test_resume_after_kill_gives_the_same_result(tiny, tmp_path):
    args = ['train', tiny, 'tiny', '--epochs', 6, '--lr', 1e-2, '--batch-size', 128, '--quiet', '--seed', 7]
    full = cli(*args, '--out', tmp_path/'full')
    assert full.returncode == 0, full.stderr
    run = tmp_path/'killed'
    p = subprocess.Popen([sys.executable, '-m', 'margo.cli', *map(str, args), '--out', run],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    hist_len = 0
    deadline = time.time() + 120
    while time.time() < deadline and p.poll() is None:     # kill it mid-run, after a few checkpoints
        if (run/'checkpoint.pt').exists() and (run/'checkpoint.pt').stat().st_mtime > 0:
            import torch
            try: hist_len = len(torch.load(run/'checkpoint.pt', weights_only=False)['history'])
            except Exception: hist_len = 0
            if hist_len >= 4: break
        time.sleep(0.05)
    assert p.poll() is None, "the run finished before it could be killed; make it longer"
    os.kill(p.pid, signal.SIGKILL); p.wait()
    assert not (run/'metrics.json').exists()
    resumed = cli(*args, '--out', run, '--resume')
    assert resumed.returncode == 0, resumed.stderr
    a = json.loads((tmp_path/'full'/'metrics.json').read_text()); b = json.loads((run/'metrics.json').read_text())
    assert a['test'] == b['test'] and a['valid'] == b['valid'] and a['best_epoch'] == b['best_epoch']
    assert a['stage_epochs'] == b['stage_epochs']

def test_resume_refuses_other_settings(tiny, tmp_path):
    args = ['train', tiny, 'tiny', '--epochs', 1, '--batch-size', 256, '--quiet', '--out', tmp_path/'run']
    assert cli(*args).returncode == 0
    r = cli(*args, '--alpha', '0.5', '--resume')
    assert r.returncode == 2 and 'other settings' in r.stderr

def test_margo_on_real_tiktok_features(tmp_path):
    "The whole pipeline on real content: TikTok's real image and audio features (skips without ../shared/data)."
    from conftest import shared_data_path
    import warnings
    shared_data_path('tiktok')
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')          # 10 users with held-out but no train interactions are left out
        data = load_dataset(shared_data_path(), 'tiktok')
    assert data.modalities == ['image', 'audio']
    r = train('margo', data, epochs=1, max_batches=2, progress=False, out_dir=tmp_path/'run')
    assert r['stage_epochs'] == [1, 1] and 'reliability_auc' not in r      # real data: no planted ground truth
    assert all(0 <= v <= 1 for v in r['test'].values())
    w = pd.read_csv(tmp_path/'run'/'item_weights.csv')
    assert list(w.columns) == ['item', 'image', 'audio'] and len(w) == data.n_items

def test_cli_synth_and_stats(tmp_path):
    "`margo synth` writes the embedded default dataset; `margo stats` reads it back."
    r = cli('synth', tmp_path)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)['written'] == str(tmp_path/'synthetic')
    s = json.loads(cli('stats', tmp_path, 'synthetic').stdout)
    assert s['modalities'] == {'image': 4096, 'text': 384} and s['users'] > 1000 and s['train'] > s['valid'] > 0
    assert json.loads((tmp_path/'synthetic'/'provenance.json').read_text())['generator'] == 'margo.synthetic.make_synthetic'

def test_cli_synth_from_real_interactions(tmp_path):
    "`margo synth OUT --from ROOT NAME` adds synthetic features to real interactions in a new folder."
    from conftest import shared_data_path
    src = shared_data_path('amazon', 'baby')
    r = cli('synth', tmp_path, '--from', src.parent, 'baby')
    assert r.returncode == 0, r.stderr
    s = json.loads(cli('stats', tmp_path, 'baby_synth').stdout)
    assert (s['users'], s['items'], s['train']) == (19445, 7050, 119674) and s['modalities'] == {'image': 4096, 'text': 384}
    assert not (src/'image_feat.npy').exists()

def test_cli_models_lists_every_model():
    r = cli('models')
    assert r.returncode == 0
    assert [l.split()[0] for l in r.stdout.strip().splitlines()] == ['dragon', 'margo', 'bprmf', 'lightgcn', 'vbpr', 'mmgcn',
                                                                    'lattice', 'bm3', 'freedom', 'lgmrec']
