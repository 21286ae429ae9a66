"""The command line as a user meets it: usage, version, one error prefix, every option's default shown, --topk/--metrics."""
import json, re, subprocess, sys
import pytest
from margo.synthetic import make_synthetic
from margo.cli import parser

def cli(*args):
    return subprocess.run([sys.executable, '-m', 'margo.cli', *map(str, args)], capture_output=True, text=True)

def test_bare_margo_prints_usage_and_exits_2():
    r = cli()
    assert r.returncode == 2 and r.stderr.startswith('usage: margo') and 'train' in r.stderr

def test_version():
    import margo
    r = cli('--version')
    assert r.returncode == 0 and r.stdout.strip() == f"margo {margo.__version__}"

@pytest.mark.parametrize('args,prefix', [(('train', 'r', 'n'), 'margo train: error: '), (('nope',), 'margo: error: '),
                                         (('recommend', 'r', '--k', '0'), 'margo recommend: error: ')])
def test_errors_prefixed_once(args, prefix):
    r = cli(*args)
    assert r.returncode == 2 and r.stderr.startswith(prefix) and r.stderr.count('error:') == 1, r.stderr
    assert 'margo: error: margo' not in r.stderr

def test_every_option_has_help_and_default():
    p = parser()
    subs = next(a for a in p._actions if a.__class__.__name__ == '_SubParsersAction').choices
    for name, s in subs.items():
        for a in s._actions:
            if a.dest == 'help': continue
            assert a.help, f"margo {name} {a.option_strings or a.dest}: no help"
        text = ' '.join(s.format_help().split())
        for a in s._actions:
            if a.option_strings and a.default not in (None, False) and a.dest != 'help':
                opt = a.option_strings[-1]
                assert re.search(re.escape(opt) + r'.*?\(default: ', text), f"margo {name} {opt}: default not shown"

def test_train_topk_and_metrics(tmp_path):
    make_synthetic(tmp_path, name='tiny', seed=0, n_users=120, n_items=80, dims={'image': 16, 'text': 8})
    r = cli('train', tmp_path, 'tiny', '--model', 'lightgcn', '--out', tmp_path/'run', '--epochs', 1, '--batch-size', 256, '--quiet',
            '--topk', '5,10,20,50', '--metrics', 'recall,ndcg,precision,map')
    assert r.returncode == 0, r.stderr
    m = json.loads((tmp_path/'run'/'metrics.json').read_text())
    want = {f'{n}@{k}' for n in ('recall', 'ndcg', 'precision', 'map') for k in (5, 10, 20, 50)}
    assert set(m['test']) == want and set(json.loads(r.stdout)['valid']) == want

def test_bench_all_prints_one_json_line_per_model_then_a_table(tmp_path):
    make_synthetic(tmp_path, name='tiny', seed=0, n_users=120, n_items=80, dims={'image': 16, 'text': 8})
    r = cli('bench', 'all', tmp_path, 'tiny', '--models', 'bprmf,margo', '--epochs', 1, '--device', 'cpu')
    assert r.returncode == 0, r.stderr
    rows = [json.loads(l) for l in r.stdout.splitlines() if l.startswith('{')]
    assert [x['model'] for x in rows] == ['bprmf', 'margo'] and all(x['peak_rss_gb'] > 0 for x in rows)
    table = [l for l in r.stdout.splitlines() if l.startswith('| ')]
    assert table[0].startswith('| model |') and [l.split(' | ')[0] for l in table[1:]] == ['| bprmf', '| margo: backbone', '| margo: margo']
    bad = cli('bench', 'all', tmp_path, 'tiny', '--models', 'bprmf,nope')
    assert bad.returncode == 2 and 'unknown model(s) nope' in bad.stderr

def _train_args(tmp_path):
    root = tmp_path/'data'
    make_synthetic(root, name='tiny', seed=0, n_users=150, n_items=120, dims={'image': 16, 'text': 8})
    return ['train', str(root), 'tiny', '--out', str(tmp_path/'run'), '--model', 'bprmf', '--quiet']

def test_user_mistake_is_one_line_any_other_error_keeps_its_traceback(tmp_path, monkeypatch, capsys):
    import margo.trainer, margo.runfolder
    from margo.cli import main
    from margo.models import ConfigError
    args = _train_args(tmp_path)
    monkeypatch.setattr(margo.runfolder, 'COMMAND', None)           # `main` records its command line there
    import functools
    same = functools.wraps(margo.trainer.train)          # the stand-ins keep `train`'s signature (the parser reads its defaults)
    @same
    def mistake(*a, **kw): raise ConfigError("bprmf: hyperparameter x=1 is invalid, expected y")
    monkeypatch.setattr(margo.trainer, 'train', mistake)
    with pytest.raises(SystemExit) as e: main(args)
    err = capsys.readouterr().err
    assert e.value.code == 2 and err == "margo train: error: bprmf: hyperparameter x=1 is invalid, expected y\n"
    @same
    def bug(*a, **kw): raise ValueError("a bug deep inside training")
    monkeypatch.setattr(margo.trainer, 'train', bug)
    with pytest.raises(ValueError, match='a bug deep inside training'): main(args)   # not turned into a usage error

def test_train_defaults_are_fits():
    from margo.trainer import FitSettings
    p = parser()
    t = next(a for a in p._actions if a.__class__.__name__ == '_SubParsersAction').choices['train']
    d = {a.dest: a.default for a in t._actions}
    f = FitSettings()                     # the settings' defaults are the command line's
    assert (d['epochs'], d['patience'], d['batch_size'], d['negatives'], d['device'], d['seed']) == \
           (f.epochs, f.patience, f.batch_size, f.negatives, f.device, f.seed)
    assert d['topk'] == list(f.ks) and d['metrics'] == list(f.metrics)
