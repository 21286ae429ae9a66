"""Trust, round 2: a grid never reports another run's numbers, no output path destroys a run or a user's file, a very
wide .inter line is refused at once, and no user mistake shows a traceback (CLI and API checked alike)."""
import contextlib, errno, io, json, os, resource, shutil, signal, subprocess, sys, tempfile
from pathlib import Path
import numpy as np, pandas as pd, pytest, torch
from margo.cli import main

FAST = ['--batch-size', '256', '--quiet']

def cli_main(*args):
    "Run `margo` in this process: (exit status, stdout, stderr)."
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(out):
        try: main([str(a) for a in args]); code = 0
        except SystemExit as e: code = e.code
    return code, out.getvalue(), err.getvalue()

def cli(*args, **kw):
    return subprocess.run([sys.executable, '-m', 'margo.cli', *map(str, args)], capture_output=True, text=True, **kw)

def one_line(err): return len(err.strip().splitlines()) == 1 and 'Traceback' not in err


@pytest.fixture(scope='module')
def runs(tiny, tmp_path_factory):
    "Finished one-epoch MARGO and DRAGON runs (to copy and damage)."
    base = tmp_path_factory.mktemp('runs')
    for model in ('margo', 'dragon'):
        code, _, err = cli_main('train', tiny, 'tiny', '--model', model, '--epochs', 1, *FAST, '--out', base/model)
        assert code == 0, err
    return base

def copy_run(runs, model, tmp_path):
    run = tmp_path/f'{model}-run'; shutil.copytree(runs/model, run); return run

# 1. a grid rerun never reports stale or foreign results ----------------------------------------------------------------

def grid_yaml(path, tiny, model='lightgcn', extra='', lr='[0.001, 0.1]', root=None):
    path.write_text(f"model: {model}\nroot: {root or tiny}\nname: tiny\nepochs: 1\nbatch_size: 256\nhp: {{lr: {lr}{extra}}}\n")
    return path

def grid_numbers(g):
    "{point: valid recall@20} as grid.csv reports it, and as each point's metrics.json holds it."
    table = pd.read_csv(g/'grid.csv').set_index('point')['valid_recall20'].to_dict()
    return table, {p: json.loads((g/p/'metrics.json').read_text())['valid']['recall@20'] for p in table}

def test_grid_with_another_model_is_refused_then_retrained_with_overwrite(tiny, tmp_path):
    cfg, g = tmp_path/'grid.yaml', tmp_path/'g'
    assert cli_main('train', '--config', grid_yaml(cfg, tiny), '--quiet', '--out', g)[0] == 0
    grid_yaml(cfg, tiny, model='bprmf')
    code, _, err = cli_main('train', '--config', cfg, '--quiet', '--out', g)
    assert code == 2 and one_line(err) and "model: 'lightgcn' recorded, 'bprmf' requested" in err and '--overwrite' in err, err
    code, out, err = cli_main('train', '--config', cfg, '--quiet', '--out', g, '--overwrite')
    assert code == 0, err
    for p in ('lr=0.001', 'lr=0.1'): assert json.loads((g/p/'metrics.json').read_text())['model'] == 'bprmf'
    table, computed = grid_numbers(g)
    assert table == computed                                    # grid.csv holds the numbers of the runs now in the folders

def test_grid_with_a_changed_fixed_hyperparameter(tiny, tmp_path):
    cfg, g = tmp_path/'grid.yaml', tmp_path/'g'
    assert cli_main('train', '--config', grid_yaml(cfg, tiny, extra=', reg: 0.0'), '--quiet', '--out', g)[0] == 0
    grid_yaml(cfg, tiny, extra=', reg: 0.5')
    code, _, err = cli_main('train', '--config', cfg, '--quiet', '--out', g)
    assert code == 2 and one_line(err) and 'hp.reg: 0.0 recorded, 0.5 requested' in err, err
    assert cli_main('train', '--config', cfg, '--quiet', '--out', g, '--overwrite')[0] == 0
    for p in ('lr=0.001', 'lr=0.1'): assert json.loads((g/p/'metrics.json').read_text())['hp']['reg'] == 0.5
    table, computed = grid_numbers(g)
    assert table == computed

@pytest.mark.parametrize('change,fragment', [('epochs', 'epochs: 1 recorded, 2 requested'), ('seed', 'seed: 999 recorded, 5 requested'),
                                             ('data', 'the data: its content hash differs')])
def test_grid_with_other_epochs_seed_or_data_is_not_reused(tiny, tmp_path, change, fragment):
    root = tmp_path/'data'; shutil.copytree(tiny, root)
    cfg, g = grid_yaml(tmp_path/'grid.yaml', tiny, root=root), tmp_path/'g'
    assert cli_main('train', '--config', cfg, '--quiet', '--out', g)[0] == 0
    extra = []
    if change == 'epochs': extra = ['--epochs', 2]
    elif change == 'seed': extra = ['--seed', 5]
    else:
        inter = root/'tiny'/'tiny.inter'; df = pd.read_csv(inter, sep='\t')
        df.loc[df.index[-1], 'x_label'] = 0 if df['x_label'].iloc[-1] else 1     # one interaction moves between splits
        df.to_csv(inter, sep='\t', index=False)
    code, _, err = cli_main('train', '--config', cfg, '--quiet', '--out', g, *extra)
    assert code == 2 and one_line(err) and fragment in err, err

def test_grid_rerun_with_the_same_request_reuses_every_point(tiny, tmp_path):
    cfg, g = grid_yaml(tmp_path/'grid.yaml', tiny), tmp_path/'g'
    assert cli_main('train', '--config', cfg, '--quiet', '--out', g)[0] == 0
    stamps = {p: (g/p/'metrics.json').stat().st_mtime_ns for p in ('lr=0.001', 'lr=0.1')}
    assert cli_main('train', '--config', cfg, '--quiet', '--out', g, '--overwrite')[0] == 0    # --overwrite retrains only what differs
    assert stamps == {p: (g/p/'metrics.json').stat().st_mtime_ns for p in stamps}

def test_grid_values_are_all_checked_before_the_first_point_trains(tiny, tmp_path):
    cfg = grid_yaml(tmp_path/'grid.yaml', tiny, lr='[0.01, -1]')
    code, _, err = cli_main('train', '--config', cfg, '--quiet', '--out', tmp_path/'g')
    assert code == 2 and one_line(err) and 'grid point lr=-1' in err and str(cfg) in err, err
    assert not (tmp_path/'g').exists()                          # lr=0.01 was not trained

def test_a_repeated_grid_value_is_refused(tiny, tmp_path):
    code, _, err = cli_main('train', '--config', grid_yaml(tmp_path/'grid.yaml', tiny, lr='[0.01, 0.01]'), '--quiet', '--out', tmp_path/'g')
    assert code == 2 and one_line(err) and 'the value 0.01 is listed twice' in err, err
    assert not (tmp_path/'g').exists()

# 2. `audit --out` never overwrites a run's own files; the CSV is written atomically -------------------------------------

def test_audit_out_never_overwrites_the_runs_results(runs, tmp_path):
    run = copy_run(runs, 'margo', tmp_path)
    before = (run/'metrics.json').read_bytes()
    for args in (['--out', run/'metrics.json'], ['--out', run/'metrics.json', '--overwrite'], ['--out', run/'config.yaml']):
        code, _, err = cli_main('audit', run, *args)
        assert code == 2 and one_line(err) and "run's own" in err, err
    (tmp_path/'link.json').symlink_to(run/'metrics.json')          # a symlink into the run folder is followed
    code, _, err = cli_main('audit', run, '--out', tmp_path/'link.json', '--overwrite')
    assert code == 2 and "run's own metrics.json" in err, err
    assert (run/'metrics.json').read_bytes() == before
    assert cli_main('recommend', run, '--users', 0, '--k', 2)[0] == 0

def test_audit_csv_is_atomic_under_a_file_size_limit(runs, tmp_path):
    run = copy_run(runs, 'margo', tmp_path)
    def limit():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN); resource.setrlimit(resource.RLIMIT_FSIZE, (2_000, 2_000))
    r = subprocess.run([sys.executable, '-m', 'margo.cli', 'audit', str(run), '--out', str(tmp_path/'a'/'audit.csv')],
                       capture_output=True, text=True, preexec_fn=limit, timeout=300)
    assert r.returncode == 2 and one_line(r.stderr) and 'audit.csv: cannot write' in r.stderr, r.stderr
    assert list((tmp_path/'a').iterdir()) == []                  # no partial CSV, no temporary file

# 3. a very wide .inter line: refused at once, in bounded memory, naming the line ----------------------------------------

def _wide(root, fields, line=2):
    "A dataset whose line `line` (2 = the first row, where pandas would take the surplus fields as index levels) has `fields` fields."
    d = root/'wide'; d.mkdir(parents=True)
    rows = ['0\t0\t0', '0\t1\t1', '1\t1\t2', '1\t0\t0']
    rows.insert(line - 2, '\t'.join(['1'] * fields))
    (d/'wide.inter').write_text('userID\titemID\tx_label\n' + '\n'.join(rows) + '\n')
    return root

def test_ten_million_fields_in_one_line_bounded_memory(tmp_path):
    "Peak memory is measured (the child's maxrss seen by a fresh parent) and bounded; the time is printed, not asserted."
    root = _wide(tmp_path, 10_000_000)
    probe = ("import resource, subprocess, sys, time; t = time.perf_counter(); "
             "r = subprocess.run([sys.executable, '-m', 'margo.cli', 'stats', sys.argv[1], 'wide'], capture_output=True, text=True, timeout=90); "
             "print(r.returncode, time.perf_counter() - t, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024); "
             "sys.stderr.write(r.stderr)")
    r = subprocess.run([sys.executable, '-c', probe, str(root)], capture_output=True, text=True, timeout=120)   # the probe kills a hung child
    assert r.returncode == 0, r.stderr[-300:]
    code, secs, peak_mb = r.stdout.split()
    print(f"\n10-million-field line: margo stats exit {code} in {float(secs):.2f} s, peak RSS {float(peak_mb):.0f} MB")
    assert int(code) == 2 and one_line(r.stderr), r.stderr
    assert 'line 2: 10000000 fields, expected 3 as in the header line' in r.stderr, r.stderr
    assert float(peak_mb) < 500

@pytest.mark.parametrize('fields,line', [(4, 2), (10_000, 2), (160_000, 2), (4, 4), (2, 5)])
def test_a_line_with_other_fields_is_named(tmp_path, fields, line):
    "Before: 'ids are not dense' (pandas took the surplus fields of the first row as index levels)."
    from margo.data import load_dataset, DataError
    with pytest.raises(DataError, match=f'line {line}: {fields} fields, expected 3'): load_dataset(_wide(tmp_path, fields, line), 'wide')

# 4. one line instead of a traceback --------------------------------------------------------------------------------------

def test_export_where_the_parent_is_a_file(runs, tmp_path):
    (tmp_path/'file').write_text('x')
    code, _, err = cli_main('export', runs/'dragon', tmp_path/'file'/'emb')
    assert code == 2 and one_line(err) and str(tmp_path/'file') in err, err

@pytest.mark.parametrize('command', ['export', 'audit'])
def test_an_unwritable_place_is_one_line(runs, tmp_path, monkeypatch, command):
    "No permission (simulated: this may run as root, for whom a read-only mode does not stop a write)."
    def refuse(*a, dir=None, **k): raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(dir))
    monkeypatch.setattr(tempfile, 'mkstemp', refuse)
    args = ['export', runs/'margo', tmp_path/'emb'] if command == 'export' else ['audit', runs/'margo', '--out', tmp_path/'a.csv']
    code, _, err = cli_main(*args)
    assert code == 2 and one_line(err) and 'Permission denied' in err and str(tmp_path) in err, err

def test_an_unwritable_folder_as_an_ordinary_user(runs, tmp_path):
    if os.geteuid() == 0: pytest.skip('root writes into read-only folders')
    ro = tmp_path/'ro'; ro.mkdir(); ro.chmod(0o500)
    try:
        for args in (['export', runs/'dragon', ro/'emb'], ['audit', runs/'margo', '--out', ro/'a.csv']):
            r = cli(*args)
            assert r.returncode == 2 and one_line(r.stderr) and str(ro) in r.stderr, r.stderr
    finally: ro.chmod(0o700)

def test_audit_out_an_existing_folder(runs, tmp_path):
    (tmp_path/'d').mkdir()
    code, _, err = cli_main('audit', runs/'margo', '--out', tmp_path/'d')
    assert code == 2 and one_line(err) and 'is a folder, expected a file path' in err, err

@pytest.mark.parametrize('users', ['99999999999999999999999', '-99999999999999999999999', '-1'])
def test_recommend_huge_user_ids(runs, users):
    code, _, err = cli_main('recommend', runs/'dragon', '--users', users)
    assert code == 2 and one_line(err) and 'out of range' in err, err

def test_a_stage_file_of_another_model(runs, tmp_path):
    run = copy_run(runs, 'margo', tmp_path)
    shutil.copy(runs/'dragon'/'stage-train.pt', run/'stage-margo.pt')
    code, _, err = cli_main('recommend', run, '--users', 0)
    assert code == 2 and one_line(err) and "a stage file of model 'dragon', expected one of 'margo'" in err, err

@pytest.mark.parametrize('edit,fragment', [
    (lambda m: m['hp'].update(dim=32), 'trained with dim=64'),
    (lambda m: m.update(stages={}), 'field stages is {}'),
    (lambda m: m.update(seed='abc'), 'field seed is "abc", expected an integer'),
    (lambda m: m.update(seed=True), 'field seed is true'),
    (lambda m: m.update(model='nosuch'), 'field model is "nosuch"'),
    (lambda m: m.update(hp=[1]), 'field hp is [1]'),
    (lambda m: m['hp'].update(dim=-3), 'cannot build margo with the recorded hyperparameters'),
])
def test_an_edited_metrics_json_is_one_line(runs, tmp_path, edit, fragment):
    run = copy_run(runs, 'margo', tmp_path)
    m = json.loads((run/'metrics.json').read_text()); edit(m); (run/'metrics.json').write_text(json.dumps(m))
    for args in (['recommend', run, '--users', 0], ['export', run, tmp_path/'emb']):
        code, _, err = cli_main(*args)
        assert code == 2 and one_line(err) and fragment in err, (args, err)

# 5. export never replaces a user's files; an empty path is refused --------------------------------------------------------

def test_export_keeps_a_users_files(runs, tmp_path):
    out = tmp_path/'mine'; out.mkdir()
    np.save(out/'user_embeddings.npy', np.arange(3.0))
    code, _, err = cli_main('export', runs/'dragon', out)
    assert code == 2 and one_line(err) and 'user_embeddings.npy: exists and was not written by margo' in err, err
    assert np.load(out/'user_embeddings.npy').tolist() == [0.0, 1.0, 2.0] and len(list(out.iterdir())) == 1   # nothing written
    assert cli_main('export', runs/'dragon', out)[0] == 2
    assert cli_main('export', runs/'dragon', out, '--overwrite')[0] == 0                      # asked for: replaced
    assert np.load(out/'user_embeddings.npy').shape[0] == 150
    assert cli_main('export', runs/'dragon', out)[0] == 0                                     # margo's own files now: replaced

def test_export_into_an_empty_path(runs, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, _, err = cli_main('export', runs/'dragon', '')
    assert code == 2 and one_line(err) and 'empty path' in err, err
    assert list(tmp_path.iterdir()) == []

# 6. the API checks user ids and k as the command line does -----------------------------------------------------------------

@pytest.mark.parametrize('kw,fragment', [
    (dict(users=[1.7]), 'user id 1.7 is not an integer'), (dict(users=[True]), 'user id True is not an integer'),
    (dict(users=[float('nan')]), 'user id nan is not an integer'), (dict(users=['3']), "user id '3' is not an integer"),
    (dict(users=np.array([1.0])), 'is not an integer'), (dict(users=[1, 1]), 'user id 1 is given twice'),
    (dict(users=[2**70]), 'out of range'),
    (dict(k=2.9), 'k must be an integer >= 1, got 2.9'), (dict(k='3'), "got '3'"), (dict(k=True), 'got True'), (dict(k=0), 'got 0'),
])
def test_recommend_api_accepts_integers_only(runs, kw, fragment):
    from margo.use import load_run, recommend
    from margo.models import ConfigError
    model, cfg = load_run(runs/'dragon')
    with pytest.raises(ConfigError, match=fragment.replace('(', r'\(').replace('.', r'\.').replace('+', r'\+')):
        recommend(model, cfg['data'], **kw)

def test_recommend_api_takes_integer_arrays_and_tensors(runs):
    from margo.use import load_run, recommend
    model, cfg = load_run(runs/'dragon')
    a = recommend(model, cfg['data'], users=[3, 0], k=2)
    for users in (np.array([3, 0]), torch.tensor([3, 0]), [np.int64(3), 0]):
        pd.testing.assert_frame_equal(recommend(model, cfg['data'], users=users, k=np.int32(2)), a)

# 7. messages that say what differs and what to do ------------------------------------------------------------------------

def test_resume_refusal_names_the_setting_and_a_way_out(runs, tiny, tmp_path):
    run = copy_run(runs, 'dragon', tmp_path)
    code, _, err = cli_main('train', tiny, 'tiny', '--model', 'dragon', '--epochs', 1, '--batch-size', 512, '--quiet', '--out', run, '--resume')
    assert code == 2 and one_line(err) and 'batch_size: 256 in the checkpoint, 512 now' in err and 'drop --resume' not in err, err
    assert '--overwrite' in err

def test_a_yaml_type_error_names_the_file_and_key(tiny, tmp_path):
    cfg = tmp_path/'c.yaml'; cfg.write_text(f"model: dragon\nroot: {tiny}\nname: tiny\nepochs: abc\n")
    code, _, err = cli_main('train', '--config', cfg, '--out', tmp_path/'x')
    assert code == 2 and one_line(err) and f"{cfg}: key epochs:" in err and 'argument --epochs' not in err, err

def test_no_comparison_when_every_baseline_failed(tmp_path):
    "`models: [nosuch]`: the overall notebook's analysis states that no comparison exists and stops (a papermill run exits non-zero)."
    from margo.analysis import overall_report, NoComparison
    from margo.study import Study
    S = Study('lesson', 'smoke', out_dir=tmp_path/'out')
    ok = dict(seed=999, best_epoch=1, epochs=1, valid={'recall@20': 0.2},
              test={'recall@10': 0.1, 'recall@20': 0.2, 'ndcg@10': 0.1, 'ndcg@20': 0.1})
    g = {'nosuch': [dict(error="ValueError: unknown model 'nosuch'", seed=999)], 'margo': [ok]}
    with pytest.raises(NoComparison, match='NO COMPARISON EXISTS: every baseline failed'): overall_report(S, 'smoke', g, ['nosuch', 'margo'])
    text = (tmp_path/'out'/'overall_smoke.md').read_text()
    assert 'NO COMPARISON EXISTS' in text and 'does NOT win' not in text

def test_recommend_a_repeated_user(runs):
    code, out, err = cli_main('recommend', runs/'dragon', '--users', '1,1')
    assert code == 2 and one_line(err) and 'user id 1 is given twice' in err and out == '', err

# 8. further cases found by attacking every command ---------------------------------------------------------------------

@pytest.mark.parametrize('args,fragment', [
    (['train', '{tiny}', 'tiny', '--out', '{tmp}/r', '--seed', str(2**64)], '--seed must be < 2^63'),
    (['train', '{tiny}', 'tiny', '--out', '{tmp}/r', '--seed', '-1'], '--seed must be >= 0'),
    (['synth', '{tmp}/s', '--seed', '-1'], '--seed must be >= 0'),
    (['bench', 'train', '{tiny}', 'tiny', '--seed', str(2**64)], '--seed must be < 2^63'),
    (['bench', 'train', '{tiny}', 'tiny', '--model', 'nosuch'], "unknown model 'nosuch'"),
    (['bench', 'all', '{tiny}', 'tiny', '--models', ''], 'no model given'),
])
def test_numeric_and_name_limits_are_one_line(tiny, tmp_path, args, fragment):
    code, _, err = cli_main(*[a.format(tiny=tiny, tmp=tmp_path) for a in args])
    assert code == 2 and one_line(err) and fragment in err, err

def test_out_of_memory_is_one_line(tiny, tmp_path):
    r = cli('train', tiny, 'tiny', '--model', 'lightgcn', '--epochs', 1, *FAST, '--out', tmp_path/'r', '--hp', 'dim=1000000000', timeout=300)
    assert r.returncode == 1 and one_line(r.stderr) and 'out of memory' in r.stderr, r.stderr

def test_synth_never_overwrites_a_users_dataset(tmp_path):
    d = tmp_path/'mine'; d.mkdir()
    (d/'mine.inter').write_text('userID\titemID\tx_label\n0\t0\t0\n0\t1\t1\n0\t2\t2\n')
    (d/'provenance.json').write_text('{"note": "my own"}\n')            # a provenance.json, but not margo's
    code, _, err = cli_main('synth', tmp_path, '--name', 'mine')
    assert code == 2 and one_line(err) and 'is not a folder margo generated' in err, err
    assert sorted(p.name for p in d.iterdir()) == ['mine.inter', 'provenance.json'] and (d/'mine.inter').read_text().endswith('0\t2\t2\n')
    assert cli_main('synth', tmp_path, '--name', 'gen')[0] == 0 and cli_main('synth', tmp_path, '--name', 'gen')[0] == 0  # margo's own: rewritten

def test_synth_under_a_file_size_limit_is_one_line_without_partial_files(tmp_path):
    def limit():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN); resource.setrlimit(resource.RLIMIT_FSIZE, (50_000, 50_000))
    r = subprocess.run([sys.executable, '-m', 'margo.cli', 'synth', str(tmp_path)], capture_output=True, text=True, preexec_fn=limit, timeout=300)
    assert r.returncode == 2 and one_line(r.stderr) and 'cannot write' in r.stderr, r.stderr
    assert not list((tmp_path/'synthetic').glob('.*.tmp'))

@pytest.mark.parametrize('kind', ['folder', 'fifo'])
def test_an_inter_that_is_not_a_regular_file(tmp_path, kind):
    d = tmp_path/'x'; d.mkdir()
    (d/'x.inter').mkdir() if kind == 'folder' else os.mkfifo(d/'x.inter')
    code, _, err = cli_main('stats', tmp_path, 'x')
    assert code == 2 and one_line(err) and 'x.inter: not a regular file' in err, err

@pytest.mark.parametrize('damage,fragment', [
    (lambda run: (run/'metrics.json').write_text('[1, 2]'), 'a JSON list, expected the metrics.json mapping'),
    (lambda run: (run/'item_weights.csv').write_text(''), 'cannot read item_weights.csv / item_reliability.csv as CSV'),
    (lambda run: pd.read_csv(run/'item_reliability.csv').drop(columns=['z_pos_image']).to_csv(run/'item_reliability.csv', index=False),
     'column z_pos_image missing'),
])
def test_audit_of_damaged_run_files_is_one_line(runs, tmp_path, damage, fragment):
    run = copy_run(runs, 'margo', tmp_path); damage(run)
    code, _, err = cli_main('audit', run, '--out', tmp_path/'a.csv')
    assert code == 2 and one_line(err) and fragment in err, err
    assert not (tmp_path/'a.csv').exists()

@pytest.mark.parametrize('text,fragment', [
    ("root: [1, 2]\n", "key root: '1,2', expected one value"), ("model: [lightgcn, bprmf]\n", 'key model:'),
    ("negatives: some\n", "key negatives: 'some', expected one of train, all"), ("seed: -3\n", 'key seed: --seed must be >= 0'),
])
def test_config_values_are_checked_by_key(tiny, tmp_path, text, fragment):
    cfg = tmp_path/'c.yaml'; cfg.write_text(f"model: lightgcn\nroot: {tiny}\nname: tiny\nepochs: 1\n" + text)
    code, _, err = cli_main('train', '--config', cfg, '--out', tmp_path/'x')
    assert code == 2 and one_line(err) and f'{cfg}: ' in err and fragment in err, err

def test_grid_does_not_replace_a_users_grid_md(tiny, tmp_path):
    cfg, g = grid_yaml(tmp_path/'grid.yaml', tiny), tmp_path/'g'
    g.mkdir(); (g/'grid.md').write_text('my notes\n')
    code, _, err = cli_main('train', '--config', cfg, '--quiet', '--out', g)
    assert code == 2 and one_line(err) and 'grid.md: exists and was not written by margo' in err, err
    assert (g/'grid.md').read_text() == 'my notes\n' and not (g/'lr=0.1').exists()            # refused before any point trains

def test_paths_with_spaces_and_unicode(tiny, tmp_path):
    out = tmp_path/'rün 1'
    assert cli_main('train', tiny, 'tiny', '--model', 'lightgcn', '--epochs', 1, *FAST, '--out', out)[0] == 0
    assert cli_main('export', out, tmp_path/'émb é')[0] == 0 and (tmp_path/'émb é'/'embeddings.json').exists()
    code, out_text, _ = cli_main('recommend', out, '--users', '+3', '--k', 10**30)             # k beyond the catalogue: every item
    assert code == 0 and len(out_text.strip().splitlines()) > 2

def test_a_full_standard_output_is_one_line(runs):
    with open('/dev/full', 'w') as full:
        r = subprocess.run([sys.executable, '-m', 'margo.cli', 'recommend', str(runs/'dragon'), '--k', '5'], stdout=full, stderr=subprocess.PIPE, text=True)
    assert r.returncode == 2 and one_line(r.stderr) and 'standard output: No space left on device' in r.stderr, r.stderr

def test_a_reader_that_stops_early_ends_the_output_quietly(runs):
    p = subprocess.Popen([sys.executable, '-m', 'margo.cli', 'recommend', str(runs/'dragon'), '--k', '90'], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    p.stdout.readline(); p.stdout.close()                       # as `| head -1`
    err = p.stderr.read().decode(); p.wait(timeout=120)
    assert p.returncode == 141 and err == '', err

def test_an_output_path_that_is_a_device_is_never_replaced(runs):
    "Run as root, renaming a file over /dev/null would replace the device itself."
    code, _, err = cli_main('audit', runs/'margo', '--out', '/dev/null', '--overwrite')
    assert code == 2 and one_line(err) and 'is not a regular file' in err, err
    assert Path('/dev/null').is_char_device()

def test_an_interrupted_grid_point_is_continued_and_equals_an_uninterrupted_grid(tiny, tmp_path, monkeypatch):
    import margo.trainer as T
    cfg = tmp_path/'grid.yaml'
    cfg.write_text(f"model: lightgcn\nroot: {tiny}\nname: tiny\nepochs: 2\nbatch_size: 256\nhp: {{lr: [0.001, 0.1]}}\n")
    assert cli_main('train', '--config', cfg, '--quiet', '--out', tmp_path/'g1')[0] == 0
    real, calls = T.FitLoop.checkpoint, []
    def stop_after_first(self, opt):
        real(self, opt); calls.append(1)
        if len(calls) == 1: raise KeyboardInterrupt
    monkeypatch.setattr(T.FitLoop, 'checkpoint', stop_after_first)
    assert cli_main('train', '--config', cfg, '--quiet', '--out', tmp_path/'g2')[0] == 130
    assert (tmp_path/'g2'/'lr=0.001'/'checkpoint.pt').exists() and not (tmp_path/'g2'/'lr=0.001'/'metrics.json').exists()
    monkeypatch.setattr(T.FitLoop, 'checkpoint', real)
    code, _, err = cli_main('train', '--config', cfg, '--quiet', '--out', tmp_path/'g2')
    assert code == 0, err
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path/'g1'/'grid.csv'), pd.read_csv(tmp_path/'g2'/'grid.csv'))
