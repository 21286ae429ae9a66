"""Runs you can trust: checkpoints never run code, every setting is checked, one run per folder, one line instead of a
traceback, bit-for-bit reproducible training on CPU, exact resume at any kill point, exact best-state scoring."""
import errno, json, os, shutil, signal, socket, subprocess, sys, time
from pathlib import Path
import numpy as np, pandas as pd, pytest, torch
import margo.trainer as T
from margo.runfolder import json_safe
from margo.cli import main
from margo.data import load_dataset
from margo.metrics import Evaluator
from margo.models import get_model
from margo.synthetic import make_synthetic
from margo.trainer import train
from margo.runfolder import seed_everything
from margo.checkpoint import load_checkpoint, RunError, NonFiniteLoss

FAST = ['--batch-size', '256', '--quiet']


@pytest.fixture(scope='module')
def finished(tiny, tmp_path_factory):
    "A finished one-epoch DRAGON run folder (to copy and damage)."
    out = tmp_path_factory.mktemp('runs')/'done'
    assert cli_main(['train', tiny, 'tiny', '--model', 'dragon', '--epochs', '1', *FAST, '--out', out])[0] == 0
    return out

def cli_main(args):
    "Run `margo` in this process: (exit status, stderr)."
    import io, contextlib
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        try: main([str(a) for a in args]); code = 0
        except SystemExit as e: code = e.code
    return code, err.getvalue()

def cli(*args, **kw):
    return subprocess.run([sys.executable, '-m', 'margo.cli', *map(str, args)], capture_output=True, text=True, **kw)

def one_line(err): return len(err.strip().splitlines()) == 1 and 'Traceback' not in err

# 1. checkpoints never run code -----------------------------------------------------------------------------------

class _Evil:
    def __init__(self, path): self.path = path
    def __reduce__(self): return (open, (self.path, 'w'))       # unpickling creates a file

def test_crafted_checkpoint_runs_no_code(tiny, finished, tmp_path):
    run = tmp_path/'run'; shutil.copytree(finished, run)
    marker = tmp_path/'pwned'
    torch.save(dict(format='margo-checkpoint-1', keys=[_Evil(str(marker))]), run/'checkpoint.pt')
    code, err = cli_main(['train', tiny, 'tiny', '--model', 'dragon', '--epochs', '1', *FAST, '--out', run, '--resume'])
    assert not marker.exists(), "unpickling the checkpoint ran code"
    assert code == 2 and one_line(err) and 'checkpoint.pt' in err and 'refused' in err

@pytest.mark.parametrize('damage,fragment', [
    ('truncated', 'refused'), ('empty', 'empty file'), ('directory', 'not a regular file'),
    ('other pickle', 'not a checkpoint written by this version'), ('text', 'refused'),
])
def test_unusable_checkpoint_is_one_line(tiny, finished, tmp_path, damage, fragment):
    run = tmp_path/'run'; shutil.copytree(finished, run)
    ck = run/'checkpoint.pt'
    if damage == 'truncated': ck.write_bytes(ck.read_bytes()[:ck.stat().st_size // 2])
    elif damage == 'empty': ck.write_bytes(b'')
    elif damage == 'directory': ck.unlink(); ck.mkdir()
    elif damage == 'other pickle': torch.save({'weights': torch.zeros(3)}, ck)
    else: ck.write_text('hello\n')
    code, err = cli_main(['train', tiny, 'tiny', '--model', 'dragon', '--epochs', '1', *FAST, '--out', run, '--resume'])
    assert code == 2 and one_line(err) and str(ck) in err and fragment in err, err

def test_stage_files_load_as_plain_data(finished):
    c = load_checkpoint(finished/'stage-train.pt')
    assert c['stage_results'][0]['stage'] == 'train' and 'user_src' in c['model']

# 2. hyperparameters declared once and checked ----------------------------------------------------------------------

@pytest.mark.parametrize('args,fragment', [
    (['--hp', 'weights=maybe'], 'weights='), (['--hp', 'confidence=0.5'], 'confidence='),
    (['--hp', 'reg=-1'], 'reg=-1'), (['--hp', 'dim=0'], 'dim=0'), (['--hp', 'lr=abc'], 'lr='),
    (['--hp', 'dim=abc'], 'dim='), (['--hp', 'dim=-1'], 'dim=-1'), (['--hp', 'dim=2.5'], 'dim='),
    (['--hp', 'mm_weights=abc'], 'mm_weights='), (['--hp', 'mm_weights={"image": 1}'], 'mm_weights='),
    (['--hp', 'lr'], 'expected KEY=VALUE'), (['--hp', 'stages=3'], 'stages='),
    (['--hp', 'lr=inf'], 'lr='), (['--hp', 'tau=nan'], 'tau='),
    (['--lr', 'inf'], '--lr must be a finite number'), (['--reg', 'nan'], '--reg must be a finite number'),
    (['--alpha', 'nan'], '--alpha must be a finite number'),
])
def test_bad_hyperparameters_exit_2_in_one_line(tiny, tmp_path, args, fragment):
    code, err = cli_main(['train', tiny, 'tiny', '--epochs', '1', *FAST, '--out', tmp_path/'run', *args])
    assert code == 2 and one_line(err) and fragment in err, err
    assert not (tmp_path/'run'/'metrics.json').exists()

@pytest.mark.parametrize('hp,variant,stages', [
    ('weights=False', 'w/o weight', ['backbone']), ('weights=FALSE', 'w/o weight', ['backbone']),
    ('confidence=false', 'w/o confidence', ['backbone', 'margo']), ('stages=1', 'one-stage', ['margo']),
])
def test_hp_booleans_really_switch(tiny, tmp_path, hp, variant, stages):
    code, err = cli_main(['train', tiny, 'tiny', '--epochs', '1', *FAST, '--out', tmp_path/'run', '--hp', hp])
    assert code == 0, err
    m = json.loads((tmp_path/'run'/'metrics.json').read_text())
    assert m['variant'] == variant and list(m['stages']) == stages

@pytest.mark.parametrize('model,key,value', [('dragon', 'dim', -1), ('margo', 'weights', 'nope'), ('lightgcn', 'n_layers', 1.5),
                                             ('freedom', 'dropout', 2.0), ('bprmf', 'lr', float('nan'))])
def test_python_api_checks_the_same_spec(tiny, model, key, value):
    data = load_dataset(tiny, 'tiny')
    with pytest.raises(ValueError, match=f"{model}: hyperparameter {key}="): get_model(model)(data, **{key: value})

def test_every_model_declares_its_hyperparameters():
    from margo.models import MODELS
    for name in MODELS:
        cls = get_model(name)
        assert set(cls.spec) == set(cls.hyper) and {'lr', 'reg'} <= set(cls.spec)
        for k, h in cls.spec.items(): assert h.check(k, h.default, name) == h.default   # the defaults pass their own checks

# 3. NaN and Inf ------------------------------------------------------------------------------------------------------

def test_non_finite_loss_stops_and_keeps_the_last_finite_checkpoint(tiny, tmp_path, monkeypatch):
    from margo.backbone import DRAGON
    loss, pre_epoch, epochs = DRAGON.loss, DRAGON.pre_epoch, []
    def counting(self, g): epochs.append(1); return pre_epoch(self, g)
    def diverging(self, users, pos, neg):
        parts = loss(self, users, pos, neg)
        if len(epochs) >= 2: parts['loss'] = parts['loss'] * float('nan')      # epoch 2 diverges
        return parts
    monkeypatch.setattr(DRAGON, 'loss', diverging); monkeypatch.setattr(DRAGON, 'pre_epoch', counting)
    args = ['train', tiny, 'tiny', '--model', 'dragon', '--epochs', '3', '--batch-size', '512', '--quiet', '--out', tmp_path/'run']
    code, err = cli_main(args)
    assert code == 1 and one_line(err) and 'training loss is nan in epoch 2' in err
    assert not (tmp_path/'run'/'metrics.json').exists()
    c = load_checkpoint(tmp_path/'run'/'checkpoint.pt')
    assert len(c['history']) == 1 and all(torch.isfinite(v).all() for v in c['model'].values() if v.is_floating_point())
    monkeypatch.setattr(DRAGON, 'loss', loss)
    code, err = cli_main([*args, '--resume'])                                 # the checkpoint is usable
    assert code == 0, err

def test_json_never_holds_nan():
    assert json_safe(dict(a=float('nan'), b=[1.0, float('inf')], c=np.float32(0.5))) == dict(a=None, b=[1.0, None], c=0.5)

# 4. no validation / no test rows -------------------------------------------------------------------------------------

@pytest.mark.parametrize('labels,fragment', [
    ([0, 0, 0, 2], 'empty valid split'), ([0, 0, 0, 1], 'empty test split'),
    ('cold-valid', 'no user has both train and valid interactions'),
])
def test_no_validation_or_test_rows_refused_at_load(tmp_path, labels, fragment):
    d = tmp_path/'ds'; d.mkdir()
    users, items = np.repeat(np.arange(4), 4), np.tile(np.arange(4), 4)
    if labels == 'cold-valid':       # valid rows only for user 3, who has no train row
        x = np.array([0, 0, 2, 0] * 3 + [1, 1, 1, 1])
    else: x = np.tile(labels, 4)
    pd.DataFrame(dict(userID=users, itemID=items, x_label=x)).to_csv(d/'ds.inter', sep='\t', index=False)
    np.save(d/'image_feat.npy', np.ones((4, 3), np.float32))
    code, err = cli_main(['train', tmp_path, 'ds', '--epochs', '1', '--out', tmp_path/'run'])
    assert code == 2 and one_line(err) and fragment in err, err

# 5. one run per folder -------------------------------------------------------------------------------------------------

def test_a_second_process_on_a_locked_folder_exits_2_naming_the_holder(tiny, tmp_path):
    with T.RunFolder(tmp_path/'run'):
        t0 = time.time()
        r = cli('train', tiny, 'tiny', '--epochs', 1, *FAST, '--out', tmp_path/'run')
        assert r.returncode == 2 and one_line(r.stderr) and f'another margo run (pid {os.getpid()} on host {socket.gethostname()})' in r.stderr
        assert time.time() - t0 < 60
    assert not (tmp_path/'run'/'metrics.json').exists()

def test_two_concurrent_runs_one_folder(tiny, tmp_path):
    args = [sys.executable, '-m', 'margo.cli', 'train', str(tiny), 'tiny', '--epochs', '3', *FAST, '--out', str(tmp_path/'run')]
    ps = [subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outs = [(p.wait(), p.stderr.read()) for p in ps]
    assert sorted(c for c, _ in outs) == [0, 2], outs
    err = [e for c, e in outs if c == 2][0]
    assert one_line(err) and ('another margo run' in err or "holds another run's files" in err)
    assert [p.name for p in (tmp_path/'run').iterdir() if p.name.endswith('.tmp')] == []

def test_new_run_in_a_used_folder_needs_overwrite(tiny, finished, tmp_path):
    run = tmp_path/'run'; shutil.copytree(finished, run); (run/'notes.txt').write_text('mine')
    args = ['train', tiny, 'tiny', '--model', 'lightgcn', '--epochs', '1', *FAST, '--out', run]
    code, err = cli_main(args)
    assert code == 2 and one_line(err) and "holds another run's files" in err and '--overwrite' in err
    code, err = cli_main([*args, '--overwrite'])
    assert code == 0, err
    assert json.loads((run/'metrics.json').read_text())['model'] == 'lightgcn'
    assert (run/'notes.txt').read_text() == 'mine'                   # not margo's: kept
    assert not (run/'user_weights.csv').exists()                     # the DRAGON run's: removed
    assert load_checkpoint(run/'stage-train.pt')['key']['model'] == 'lightgcn'

def test_full_disk_leaves_no_partial_file(tiny, tmp_path, monkeypatch):
    real = os.fdopen
    class Full:
        def __init__(self, f): self.f = f
        def __enter__(self): return self
        def __exit__(self, *a): self.f.close()
        def write(self, b): self.f.write(bytes(b)[:100]); raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
    monkeypatch.setattr(os, 'fdopen', lambda fd, mode='r', *a, **k: Full(real(fd, mode, *a, **k)))
    code, err = cli_main(['train', tiny, 'tiny', '--model', 'dragon', '--epochs', '2', *FAST, '--out', tmp_path/'run'])
    assert code == 2 and one_line(err) and 'No space left on device' in err and 'config.yaml' in err   # the first file a run writes
    assert sorted(p.name for p in (tmp_path/'run').iterdir()) == ['.lock']

def test_a_file_size_limit_while_writing_a_checkpoint_is_one_line(tiny, tmp_path):
    "torch's writer fails with its own error (not OSError) when the file cannot grow: still one line, no partial file."
    import resource
    def limit():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN); resource.setrlimit(resource.RLIMIT_FSIZE, (20_000, 20_000))
    r = subprocess.run([sys.executable, '-m', 'margo.cli', 'train', str(tiny), 'tiny', '--model', 'dragon', '--epochs', '2', *FAST,
                        '--out', str(tmp_path/'run')], capture_output=True, text=True, preexec_fn=limit, timeout=300)
    assert r.returncode == 2 and one_line(r.stderr) and 'best-1.pt: cannot write' in r.stderr, r.stderr
    assert sorted(p.name for p in (tmp_path/'run').iterdir()) == ['.lock', 'config.yaml']   # the model did not fit in 20 kB

# 6. one line instead of a traceback ----------------------------------------------------------------------------------

def _fifo_dataset(root):
    d = root/'fifo'; d.mkdir()
    pd.DataFrame(dict(userID=[0, 0, 0, 1, 1, 1], itemID=[0, 1, 2, 2, 1, 0], x_label=[0, 1, 2, 0, 1, 2])).to_csv(d/'fifo.inter', sep='\t', index=False)
    os.mkfifo(d/'image_feat.npy')

@pytest.mark.parametrize('case', ['out is a file', 'out unwritable', 'device cuda', 'device xyz', 'synth into a file',
                                  'synth name ../x', 'id 2^40', 'id 1e20', 'fifo feature file'])
def test_one_line_instead_of_a_traceback(tiny, tmp_path, case):
    (tmp_path/'file').write_text('x')
    train_args = ['train', tiny, 'tiny', '--epochs', 1, *FAST]
    def inter(rows):
        (tmp_path/'ds').mkdir(); (tmp_path/'ds'/'ds.inter').write_text('userID\titemID\tx_label\n' + rows)
    if case == 'out is a file': args, frag = [*train_args, '--out', tmp_path/'file'], 'exists and is not a folder'
    elif case == 'out unwritable': args, frag = [*train_args, '--out', '/dev/null/run'], 'cannot write the run folder'
    elif case == 'device cuda':
        if torch.cuda.is_available(): pytest.skip('this machine has CUDA')
        args, frag = [*train_args, '--out', tmp_path/'r', '--device', 'cuda'], 'CUDA is not available'
    elif case == 'device xyz': args, frag = [*train_args, '--out', tmp_path/'r', '--device', 'xyz'], "device 'xyz' is unknown"
    elif case == 'synth into a file': args, frag = ['synth', tmp_path/'file'], 'exists and is not a folder'
    elif case == 'synth name ../x': args, frag = ['synth', tmp_path/'out', '--name', '../x'], "dataset name '../x'"
    elif case == 'id 2^40': inter(f'0\t0\t0\n{2**40}\t1\t0\n'); args, frag = ['stats', tmp_path, 'ds'], 'id 1 does not appear (expected every id 0..1099511627776'
    elif case == 'id 1e20': inter('0\t0\t0\n1e20\t1\t0\n'); args, frag = ['stats', tmp_path, 'ds'], 'userID is 1e+20'
    else: _fifo_dataset(tmp_path); args, frag = ['stats', tmp_path, 'fifo'], 'not a regular file'
    r = cli(*args, timeout=120)
    assert r.returncode == 2 and one_line(r.stderr) and frag in r.stderr, r.stderr
    assert not (tmp_path/'x').exists()

def test_ctrl_c_in_the_first_second(tiny, tmp_path):
    p = subprocess.Popen([sys.executable, '-m', 'margo.cli', 'train', str(tiny), 'tiny', '--out', str(tmp_path/'run'), '--quiet'],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(0.7); p.send_signal(signal.SIGINT)
    _, err = p.communicate(timeout=60)
    assert p.returncode == 130 and one_line(err) and 'interrupted' in err, err

# 7. same seed, same numbers; exact resume; exact best-state scoring ----------------------------------------------------

@pytest.fixture(scope='module')
def synthetic(tmp_path_factory):
    root = tmp_path_factory.mktemp('synth')
    make_synthetic(root)
    return root

def test_same_seed_same_history_while_the_cpu_is_busy(synthetic, tmp_path):
    "The embedded dataset at full batch size: long index backward passes, where parallel atomic adds used to reorder."
    busy = subprocess.Popen([sys.executable, '-c', 'while True: pass'])
    try:
        args = ['train', synthetic, 'synthetic', '--epochs', 1, '--patience', 50, '--seed', 3, '--quiet', '--lr', '1e-3']
        ps = [subprocess.Popen([sys.executable, '-m', 'margo.cli', *map(str, args), '--out', str(tmp_path/f'r{i}')],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True) for i in range(2)]
        for p in ps: assert p.wait() == 0, p.stderr.read()
    finally: busy.kill(); busy.wait()
    a, b = (pd.read_csv(tmp_path/f'r{i}'/'history.csv').drop(columns=['seconds', 'eval_seconds']) for i in range(2))
    pd.testing.assert_frame_equal(a, b, check_exact=True)
    ma, mb = (json.loads((tmp_path/f'r{i}'/'metrics.json').read_text()) for i in range(2))
    assert ma['test'] == mb['test']

def _kill_after(n_saves, monkeypatch):
    "Make the n-th atomic_save the last thing the run does (a kill right after that write)."
    class Kill(BaseException): pass
    real, calls = T.atomic_save, []
    def save(obj, path):
        real(obj, path); calls.append(Path(path).name)
        if len(calls) == n_saves: raise Kill()
    monkeypatch.setattr(T, 'atomic_save', save)
    return Kill, lambda: monkeypatch.setattr(T, 'atomic_save', real)

RESUME_KW = dict(hp=dict(lr=1e-2), seed=7, epochs=2, batch_size=128, progress=False)

@pytest.fixture(scope='module')
def uninterrupted(tiny, tmp_path_factory):
    out = tmp_path_factory.mktemp('full')/'run'
    return train('margo', load_dataset(tiny, 'tiny'), out_dir=out, **RESUME_KW), out

@pytest.mark.parametrize('n_saves', range(1, 10))
def test_resume_is_exact_at_every_kill_point(tiny, uninterrupted, tmp_path, monkeypatch, n_saves):
    "epochs=2: the saves are best-1, ckpt e1, [best-2], ckpt e2, stage-backbone, ckpt (stage end), best-3, ckpt e3, ..."
    data = load_dataset(tiny, 'tiny')
    full, full_dir = uninterrupted
    Kill, restore = _kill_after(n_saves, monkeypatch)
    with pytest.raises(Kill): train('margo', data, out_dir=tmp_path/'run', **RESUME_KW)
    restore()
    resume = (tmp_path/'run'/'checkpoint.pt').exists()          # killed before the first checkpoint: start again
    if (tmp_path/'run'/'history.csv').exists():                  # written after each checkpoint, as the run goes
        h = pd.read_csv(tmp_path/'run'/'history.csv')
        assert len(h) >= 1 and list(h.epoch) == list(range(1, len(h) + 1))
    res = train('margo', data, out_dir=tmp_path/'run', resume=resume, overwrite=not resume, **RESUME_KW)
    assert res['stages'] == full['stages'] and res['test'] == full['test']
    ha, hb = (pd.read_csv(d/'history.csv').drop(columns=['seconds', 'eval_seconds']) for d in (full_dir, tmp_path/'run'))
    pd.testing.assert_frame_equal(ha, hb, check_exact=True)        # continued without duplicates

def _killed_after_first_checkpoint(tiny, run, monkeypatch):
    "A MARGO run killed right after its first checkpoint (its saves so far: best-1.pt, checkpoint.pt)."
    Kill, restore = _kill_after(2, monkeypatch)
    with pytest.raises(Kill): train('margo', load_dataset(tiny, 'tiny'), out_dir=run, **RESUME_KW)
    restore()

def test_the_best_state_is_a_file_the_checkpoint_names(tiny, uninterrupted, tmp_path, monkeypatch):
    run = tmp_path/'run'; _killed_after_first_checkpoint(tiny, run, monkeypatch)
    c = load_checkpoint(run/'checkpoint.pt')
    assert c['best']['file'] == 'best-1.pt' and 'state' not in c['best']          # no second copy of the model inside
    assert [p.name for p in run.glob('best-*.pt')] == ['best-1.pt']
    best = load_checkpoint(run/'best-1.pt')['model']
    assert best.keys() == c['model'].keys() and all(torch.equal(best[k], c['model'][k]) for k in best)   # epoch 1: the model itself
    res = train('margo', load_dataset(tiny, 'tiny'), out_dir=run, resume=True, **RESUME_KW)
    assert res['test'] == uninterrupted[0]['test']
    assert not list(run.glob('best-*.pt'))                       # a finished run keeps its stage files, no best file

@pytest.mark.parametrize('damage,fragment', [('missing', 'is missing'), ('outside the folder', 'expected best-EPOCH.pt'),
                                             ('not a name', 'expected best-EPOCH.pt'), ('another run', 'not the best state of this run')])
def test_resume_with_a_damaged_best_state_is_one_line(tiny, tmp_path, monkeypatch, damage, fragment):
    run = tmp_path/'run'; _killed_after_first_checkpoint(tiny, run, monkeypatch)
    if damage == 'missing': (run/'best-1.pt').unlink()
    elif damage == 'another run':                                # another seed's best-1.pt copied in
        other = tmp_path/'other'; Kill, restore = _kill_after(2, monkeypatch)
        with pytest.raises(Kill): train('margo', load_dataset(tiny, 'tiny'), out_dir=other, **{**RESUME_KW, 'seed': 8})
        restore(); shutil.copy(other/'best-1.pt', run/'best-1.pt')
    else:
        c = torch.load(run/'checkpoint.pt', weights_only=True)
        c['best']['file'] = '../best-1.pt' if damage == 'outside the folder' else 7
        torch.save(c, run/'checkpoint.pt')
    code, err = cli_main(['train', tiny, 'tiny', '--model', 'margo', '--epochs', '2', '--lr', '1e-2', '--seed', '7',
                          '--batch-size', '128', '--quiet', '--out', run, '--resume'])
    assert code == 2 and one_line(err) and ('checkpoint.pt' in err or 'best-1.pt' in err) and fragment in err, err

@pytest.mark.parametrize('model', ['dragon', 'margo'])
def test_reported_test_metrics_equal_a_fresh_evaluation_of_the_saved_best_state(tiny, tmp_path, model):
    data = load_dataset(tiny, 'tiny')
    res = train(model, data, hp=dict(lr=1e-2), seed=5, epochs=4, patience=50, batch_size=128, progress=False, out_dir=tmp_path/'run')
    for stage, r in res['stages'].items():
        m = get_model(model)(data, lr=1e-2)        # a fresh model, another initialisation: everything must come from the file
        m.load_state_dict(load_checkpoint(tmp_path/'run'/f'stage-{stage}.pt')['model'])
        m.set_stage(stage); m.eval(); m.prepare_eval()
        fresh = Evaluator(data, 'test')(m.score_all)
        assert {k: fresh[k] for k in r['test']} == r['test']

def test_resume_refuses_changed_data(tiny, finished, tmp_path):
    root = tmp_path/'data'; shutil.copytree(tiny/'tiny', root/'tiny')
    f = np.load(root/'tiny'/'image_feat.npy'); f[0, 0] += 1; np.save(root/'tiny'/'image_feat.npy', f)    # same names and counts
    run = tmp_path/'run'; shutil.copytree(finished, run)
    code, err = cli_main(['train', root, 'tiny', '--model', 'dragon', '--epochs', '1', *FAST, '--out', run, '--resume'])
    assert code == 2 and one_line(err) and 'the data changed' in err

# 8. watching a run -------------------------------------------------------------------------------------------------------

def test_metrics_record_what_ran(finished):
    m = json.loads((finished/'metrics.json').read_text())
    assert m['run']['margo'] and m['run']['torch'] == torch.__version__ and m['run']['device'] == 'cpu'
    assert m['run']['threads'] >= 1 and '--model dragon' in m['run']['command']

def test_files_of_a_killed_writer_are_cleaned_up(tiny, tmp_path):
    run = tmp_path/'run'; run.mkdir(); (run/'.checkpoint.pt.x1y2.tmp').write_bytes(b'partial')   # a writer killed mid-write
    code, err = cli_main(['train', tiny, 'tiny', '--model', 'bprmf', '--epochs', '1', *FAST, '--out', run])
    assert code == 0, err
    assert not list(run.glob('*.tmp')) and (run/'metrics.json').exists()
