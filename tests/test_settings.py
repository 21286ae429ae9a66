"""A run's settings have one home (`FitSettings`): recorded under one key, read back in either layout, and the
package imports every name from the module that defines it."""
import ast, json, subprocess, sys
from dataclasses import asdict
from pathlib import Path
import pytest, yaml
import margo
from margo.synthetic import make_synthetic
from margo.data import load_dataset
from margo.models import MODELS, get_model
from margo.trainer import FitSettings, train
from margo.config import recorded_settings, read_config
from margo.checkpoint import RunError
from margo.use import load_run, recommend

PKG = Path(margo.__file__).parent

def cli(*args):
    return subprocess.run([sys.executable, '-m', 'margo.cli', *map(str, args)], capture_output=True, text=True)

@pytest.fixture(scope='module')
def finished(tmp_path_factory):
    "A short MARGO run through `margo train` (so that config.yaml and metrics.json are written as a user gets them)."
    root = tmp_path_factory.mktemp('data')
    make_synthetic(root, name='tiny', seed=0, n_users=120, n_items=80, dims={'image': 16, 'text': 8})
    run = tmp_path_factory.mktemp('run')/'run'
    r = cli('train', root, 'tiny', '--model', 'margo', '--epochs', 2, '--stage1-epochs', 1, '--batch-size', 256, '--seed', 3,
            '--topk', '5,20', '--device', 'cpu', '--quiet', '--out', run)
    assert r.returncode == 0, r.stderr
    return root, run

def test_settings_are_recorded_under_one_key(finished):
    _, run = finished
    m, c = json.loads((run/'metrics.json').read_text()), yaml.safe_load((run/'config.yaml').read_text())
    want = FitSettings(seed=3, epochs=2, stage_epochs={'backbone': 1}, batch_size=256, ks=(5, 20), device='cpu')
    assert m['settings'] == c['settings'] == json.loads(json.dumps(asdict(want)))
    assert 'train' not in m and set(c) == {'model', 'root', 'name', 'hp', 'settings'}
    assert recorded_settings(run) == want
    (run/'metrics.json').rename(run/'m.json')                      # a run that has not finished: its config.yaml
    try: assert recorded_settings(run) == want
    finally: (run/'m.json').rename(run/'metrics.json')

def test_config_yaml_reproduces_the_run(finished, tmp_path):
    """The new config.yaml (settings under one key) is a `margo train --config` file that gives the same numbers (a MARGO
    run's `prior: null` was refused before: `Hyper.check` now reads null for a string with choices)."""
    _, run = finished
    r = cli('train', '--config', run/'config.yaml', '--quiet', '--out', tmp_path/'again')
    assert r.returncode == 0, r.stderr
    a, b = (json.loads((p/'metrics.json').read_text()) for p in (run, tmp_path/'again'))
    assert (a['valid'], a['test'], a['stages'], a['settings']) == (b['valid'], b['test'], b['stages'], b['settings'])

def _old_layout(run:Path, old:Path):
    "The run folder as the previous release wrote it: flat options in config.yaml, `train` (no `settings`) in metrics.json."
    import shutil
    shutil.copytree(run, old)
    m = json.loads((old/'metrics.json').read_text()); s = m.pop('settings')
    m['train'] = dict(batch_size=s['batch_size'], patience=s['patience'], caps={'backbone': 1, 'margo': 2}, negatives=s['negatives'])
    (old/'metrics.json').write_text(json.dumps(m))
    c = yaml.safe_load((old/'config.yaml').read_text()); s = c.pop('settings')
    c.update(seed=s['seed'], epochs=s['epochs'], stage1_epochs=s['stage_epochs']['backbone'], patience=s['patience'],
             batch_size=s['batch_size'], negatives=s['negatives'], topk=s['ks'], metrics=s['metrics'], device=s['device'])
    (old/'config.yaml').write_text(yaml.safe_dump(c))

def test_a_run_folder_of_the_previous_release_still_reads(finished, tmp_path):
    root, run = finished
    _old_layout(run, tmp_path/'old')
    assert recorded_settings(tmp_path/'old') == recorded_settings(run)
    model, cfg = load_run(tmp_path/'old')                          # recommend / export / audit read it as before
    top = recommend(model, cfg['data'], users=[0, 1], k=5)
    assert len(top) == 10
    r = cli('audit', tmp_path/'old', '--out', tmp_path/'audit.csv')
    assert r.returncode == 0, r.stderr
    (tmp_path/'old'/'config.yaml').unlink()
    with pytest.raises(RunError, match='records no settings'): recorded_settings(tmp_path/'old')

def test_fit_takes_settings_and_train_splits_its_keywords(tmp_path):
    from margo.synthetic import toy_data
    from margo.trainer import fit
    data = toy_data()
    with pytest.raises(TypeError, match='settings must be a FitSettings'): fit(get_model('bprmf')(data), data, tmp_path/'x')
    r = train('bprmf', data, settings=FitSettings(epochs=1), batch_size=64, progress=False)   # a field replaces the settings'
    assert r['settings']['epochs'] == 1 and r['settings']['batch_size'] == 64

def test_no_locals_in_the_trainer():
    assert 'locals()' not in (PKG/'trainer.py').read_text()

def _imports(path:Path):
    "(module imported from, names) of every `from ... import ...` in a file, relative imports resolved within margo."
    tree = ast.parse(path.read_text())
    pkg = '.'.join(path.relative_to(PKG.parent).with_suffix('').parts[:-1])
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            mod = node.module or ''
            if node.level: mod = '.'.join(pkg.split('.')[:len(pkg.split('.')) - node.level + 1] + ([mod] if mod else []))
            yield mod, [a.name for a in node.names]

def test_every_name_comes_from_the_module_that_defines_it():
    moved = {'resolve_device', 'data_hash', 'load_checkpoint', 'RunError', 'atomic_write_text', 'seed_everything', 'deterministic'}
    bad = []
    for p in PKG.rglob('*.py'):
        if p.name == '_modidx.py': continue
        for mod, names in _imports(p):
            if not mod.startswith('margo'): continue
            bad += [f"{p.name}: {n} from {mod}" for n in names if n.startswith('_')]
            if mod == 'margo.trainer': bad += [f"{p.name}: {n} from margo.trainer" for n in names if n in moved]
    assert not bad, bad
    assert not (PKG/'experiments.py').exists()

@pytest.mark.parametrize('name', list(MODELS))
def test_every_hyperparameter_says_what_it_means(name):
    rows = get_model(name).hyper_table()
    assert [r['name'] for r in rows] == list(get_model(name).spec) and all(r['meaning'] for r in rows)

def test_margo_models_margo_prints_every_hyperparameter_with_its_default():
    r = cli('models', 'margo')                  # was an error
    assert r.returncode == 0, r.stderr
    lines = {l.split()[0]: l for l in r.stdout.splitlines()[3:] if l.strip() and not l.startswith('no search')}
    for k, v in get_model('margo').hyper.items():
        assert k in lines and (json.dumps(v) if v is None or isinstance(v, bool) else str(v)) in lines[k].split(), (k, lines.get(k))
    j = json.loads(cli('models', 'bm3', '--format', 'json').stdout)
    assert j['grid'] == get_model('bm3').search_grid() and j['grid']

def test_read_config_takes_the_settings_key(tmp_path):
    p = tmp_path/'c.yaml'
    p.write_text("model: margo\nsettings: {seed: 4, stage_epochs: {margo: 3}}\n")
    from margo.models import ConfigError
    with pytest.raises(ConfigError, match="stage 'backbone' only"): read_config(p)
