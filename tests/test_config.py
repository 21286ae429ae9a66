"""Run configurations: `margo train --config` round-trips through the config.yaml of a run folder, the command line
overrides the file, a grid runs every point and selects on validation, bad files are one line and exit 2."""
import contextlib, io, json
from pathlib import Path
import pandas as pd, pytest, yaml
from margo.cli import main


def cli_main(*args):
    "Run `margo` in this process: (exit status, stdout, stderr)."
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(out):
        try: main([str(a) for a in args]); code = 0
        except SystemExit as e: code = e.code
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(scope='module')
def first(tiny, tmp_path_factory):
    "A two-epoch DRAGON run made from the command line."
    out = tmp_path_factory.mktemp('runs')/'a'
    code, _, err = cli_main('train', tiny, 'tiny', '--model', 'dragon', '--epochs', '2', '--seed', '5', '--hp', 'dim=16',
                            '--topk', '5,10,20', '--batch-size', '256', '--quiet', '--out', out)
    assert code == 0, err
    return out

def test_run_folder_keeps_its_config(first, tiny):
    c = yaml.safe_load((first/'config.yaml').read_text())
    s = c['settings']                                              # the run's settings, under one key
    assert c['model'] == 'dragon' and s['seed'] == 5 and s['epochs'] == 2 and s['batch_size'] == 256 and s['ks'] == [5, 10, 20]
    assert c['hp']['dim'] == 16 and c['hp']['lr'] == 1e-4          # every hyperparameter, defaults included
    assert Path(c['root']) == Path(tiny).resolve() and c['name'] == 'tiny'

def test_config_round_trips(first, tmp_path):
    code, _, err = cli_main('train', '--config', first/'config.yaml', '--quiet', '--out', tmp_path/'b')
    assert code == 0, err
    a, b = (json.loads((d/'metrics.json').read_text()) for d in (first, tmp_path/'b'))
    assert a['valid'] == b['valid'] and a['test'] == b['test'] and a['best_epoch'] == b['best_epoch']
    pd.testing.assert_frame_equal(pd.read_csv(first/'history.csv').drop(columns=['seconds', 'eval_seconds']),
                                  pd.read_csv(tmp_path/'b'/'history.csv').drop(columns=['seconds', 'eval_seconds']))
    assert (first/'config.yaml').read_text() == (tmp_path/'b'/'config.yaml').read_text()

def test_command_line_overrides_the_file(first, tmp_path):
    code, _, err = cli_main('train', '--config', first/'config.yaml', '--seed', '6', '--hp', 'dim=8', '--quiet', '--out', tmp_path/'c')
    assert code == 0, err
    c = yaml.safe_load((tmp_path/'c'/'config.yaml').read_text())
    assert c['settings']['seed'] == 6 and c['hp']['dim'] == 8 and c['settings']['epochs'] == 2

def test_grid_runs_every_point_and_selects_on_validation(tiny, tmp_path):
    cfg = tmp_path/'grid.yaml'
    cfg.write_text(f"model: dragon\nroot: {tiny}\nname: tiny\nepochs: 2\nbatch_size: 256\nhp: {{dim: 16, lr: [0.01, 0.001]}}\n")
    code, out, err = cli_main('train', '--config', cfg, '--quiet', '--out', tmp_path/'g')
    assert code == 0, err
    summary = json.loads(out.strip().splitlines()[-1])
    grid = pd.read_csv(tmp_path/'g'/'grid.csv')
    assert sorted(grid['point']) == ['lr=0.001', 'lr=0.01'] and grid['selected'].sum() == 1
    assert summary['selected'] == grid.loc[grid['valid_recall20'].idxmax(), 'point']
    for p in ('lr=0.01', 'lr=0.001'):
        assert yaml.safe_load((tmp_path/'g'/p/'config.yaml').read_text())['hp']['lr'] == float(p.split('=')[1])
    # resumable: a second call reads the finished points back instead of training them again
    stamp = (tmp_path/'g'/'lr=0.01'/'metrics.json').stat().st_mtime_ns
    code, out2, err = cli_main('train', '--config', cfg, '--quiet', '--out', tmp_path/'g')
    assert code == 0, err
    assert (tmp_path/'g'/'lr=0.01'/'metrics.json').stat().st_mtime_ns == stamp
    assert json.loads(out2.strip().splitlines()[-1]) == summary

@pytest.mark.parametrize('text,fragment', [
    ("modle: dragon\n", "unknown key(s) modle"),
    ("- a\n", "expected a mapping"),
    ("model: dragon\nhp: {dim: -1}\n", "dim=-1 is invalid"),
    ("model: dragon\nseed: abc\n", "--seed"),
])
def test_bad_config_is_one_line(tiny, tmp_path, text, fragment):
    cfg = tmp_path/'bad.yaml'; cfg.write_text(f"root: {tiny}\nname: tiny\n" + text if not text.startswith('-') else text)
    code, _, err = cli_main('train', '--config', cfg, '--out', tmp_path/'x')
    assert code == 2 and fragment in err and len(err.strip().splitlines()) == 1 and 'Traceback' not in err, err

def test_missing_config_file(tmp_path):
    code, _, err = cli_main('train', '--config', tmp_path/'none.yaml', '--out', tmp_path/'x')
    assert code == 2 and 'config file not found' in err
