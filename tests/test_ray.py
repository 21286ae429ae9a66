"""The Ray executor on a simulated two-node cluster (loopback, 2 CPUs in all): trainings as tasks give the numbers of
in-process runs, a worker killed mid-training is retried and resumes from its checkpoint, a finished run is never
trained twice, a node that does not see the run cache is refused before any training, and a `margo train --config`
grid gives the same grid.csv."""
import contextlib, io, json, os, signal, socket, sys, threading, time
from pathlib import Path
import pandas as pd, pytest, torch

# a simulated cluster lives on the loopback address: Ray must not look up the machine's own address (read at its import)
os.environ.setdefault('RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER', '0'); os.environ['RAY_USAGE_STATS_ENABLED'] = '0'
ray = pytest.importorskip('ray', reason="Ray is not installed (the optional extra: pip install 'margo[ray]'; make test installs it)")
from ray.cluster_utils import Cluster
from margo.checkpoint import RunError
from margo.executor import run_batch, check_cache
from margo.runfolder import lock_holder
from margo.runs import run
from margo.study import Study
from margo.synthetic import make_synthetic
from margo.trainer import FitSettings

TIMING = ['seconds', 'eval_seconds']                 # the only columns of a history that depend on the machine

@pytest.fixture(scope='module')
def cluster():
    "A head node and a worker node of one CPU each, on the loopback address, without dashboard."
    c = Cluster(initialize_head=True, head_node_args=dict(num_cpus=1, node_ip_address='127.0.0.1', include_dashboard=False))
    c.add_node(num_cpus=1, node_ip_address='127.0.0.1')
    ray.init(address=c.address, _node_ip_address='127.0.0.1', log_to_driver=False)
    yield c
    ray.shutdown(); c.shutdown()

@contextlib.contextmanager
def one_thread():
    "In-process runs under the thread count of a task of one CPU (the profiles fix one thread too)."
    n = torch.get_num_threads(); torch.set_num_threads(1)
    try: yield
    finally: torch.set_num_threads(n)

def history(r) -> pd.DataFrame: return pd.read_csv(Path(r['run_dir'])/'history.csv').drop(columns=TIMING)

CALLS = [dict(model=m, dataset='smoke', seed=s) for m in ('bprmf', 'lightgcn', 'vbpr') for s in (1, 2)]

@pytest.fixture(scope='module')
def studies(cluster, tmp_path_factory):
    "The same six trainings of the smoke profile, as Ray tasks and in this process, in two separate run caches."
    out, old = {}, os.environ.get('MARGO_RUNS')
    for ex in ('ray', 'in-process'):
        os.environ['MARGO_RUNS'] = str(tmp_path_factory.mktemp(ex))
        S = Study('ablation', 'smoke', out_dir=tmp_path_factory.mktemp('out'), device='cpu', executor=ex)
        with one_thread(): out[ex] = (S, S.runs_many(CALLS))
    if old is None: os.environ.pop('MARGO_RUNS')
    else: os.environ['MARGO_RUNS'] = old
    return out

def test_two_nodes_equal_in_process(cluster, studies):
    assert len([n for n in ray.nodes() if n['Alive']]) == 2
    (S, R), (_, L) = studies['ray'], studies['in-process']
    assert S.runs == dict(trained=6, reused_from_cache=0)
    for c, a, b in zip(CALLS, R, L):
        assert (a['model'], a['seed']) == (c['model'], c['seed']) == (b['model'], b['seed'])
        assert a['valid'] == b['valid'] and a['test'] == b['test'] and a['best_epoch'] == b['best_epoch']
        pd.testing.assert_frame_equal(history(a), history(b), check_exact=True)
        assert a['run_dir'] != b['run_dir']           # two caches: nothing was shared between the two sides

def test_second_submission_trains_nothing(cluster, studies, monkeypatch):
    S, R = studies['ray']
    monkeypatch.setenv('MARGO_RUNS', str(Path(R[0]['run_dir']).parents[1]))
    stamps = [(Path(r['run_dir'])/'result.json').stat().st_mtime_ns for r in R]
    again = S.runs_many(CALLS)
    assert [r['cached'] for r in again] == [True] * 6
    assert [(Path(r['run_dir'])/'result.json').stat().st_mtime_ns for r in again] == stamps
    assert [r['test'] for r in again] == [r['test'] for r in R]

def test_killed_worker_resumes_from_its_checkpoint(cluster, tmp_path):
    "SIGKILL of the worker process during a training: Ray retries the task, which continues from checkpoint.pt."
    root = tmp_path/'data'; make_synthetic(root, name='kill', seed=0, n_users=600, n_items=400, dims={'image': 32, 'text': 16})
    from margo.runs import load_folder
    data = load_folder(root/'kill')
    job = dict(data=data, model='lightgcn', hp={}, settings=FitSettings(seed=3, epochs=12, patience=12, batch_size=256, device='cpu'))
    got = {}
    t = threading.Thread(target=lambda: got.update(r=run_batch(run, [dict(job, cache=tmp_path/'ray')], 'ray', cache=tmp_path/'ray')[0]))
    t.start()
    deadline, killed = time.time() + 120, None
    while time.time() < deadline and killed is None and t.is_alive():
        for ck in (tmp_path/'ray').glob('*/checkpoint.pt'):
            h = lock_holder(ck.parent/'.lock')
            if h is not None and h[0] == socket.gethostname():
                os.kill(h[1], signal.SIGKILL); killed = h[1]; break
        time.sleep(0.02)
    t.join(300)
    assert killed is not None, "the training finished before its first checkpoint could be seen; make it longer"
    r = got['r']
    assert r['resumed'] is True and r['cached'] is False
    with one_thread(): ref = run(cache=tmp_path/'local', **job)
    assert r['valid'] == ref['valid'] and r['test'] == ref['test'] and r['best_epoch'] == ref['best_epoch']
    pd.testing.assert_frame_equal(history(r), history(ref), check_exact=True)
    assert not (Path(r['run_dir'])/'checkpoint.pt').exists() and not list(Path(r['run_dir']).glob('.*.tmp'))

def local_disk_probe(cache, token):
    "A node whose MARGO_RUNS is its own disk: the probe lands beside, not in, the driver's cache."
    p = Path(cache).parent/'node-local'/f'.probe-{token}'
    p.parent.mkdir(parents=True, exist_ok=True); p.write_text(socket.gethostname())
    return socket.gethostname()

def test_cache_not_shared_is_refused(cluster, tmp_path):
    import ray.cloudpickle
    ray.cloudpickle.register_pickle_by_value(sys.modules[__name__])   # the worker has no copy of this test module
    check_cache(tmp_path/'cache')                                   # the real probe: this cluster shares the disk
    with pytest.raises(RunError) as e: check_cache(tmp_path/'cache', probe=local_disk_probe)
    msg = str(e.value)
    assert '\n' not in msg and str((tmp_path/'cache').resolve()) in msg and 'not shared with the Ray worker' in msg
    assert 'MARGO_RUNS' in msg and not list((tmp_path/'cache').glob('.probe-*'))

def cli_main(*args):
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(out):
        try: from margo.cli import main; main([str(a) for a in args]); code = 0
        except SystemExit as e: code = e.code
    return code, out.getvalue(), err.getvalue()

def test_grid_as_ray_tasks_gives_the_same_grid_csv(cluster, tmp_path):
    make_synthetic(tmp_path, name='tiny', seed=0, n_users=150, n_items=90, dims={'image': 32, 'text': 16})
    cfg = tmp_path/'grid.yaml'
    cfg.write_text(f"model: bprmf\nroot: {tmp_path}\nname: tiny\nepochs: 2\nbatch_size: 256\nhp: {{lr: [0.01, 0.001, 0.0001]}}\n")
    with one_thread(): code, _, err = cli_main('train', '--config', cfg, '--quiet', '--out', tmp_path/'here')
    assert code == 0, err
    code, _, err = cli_main('train', '--config', cfg, '--quiet', '--executor', 'ray', '--out', tmp_path/'ray')
    assert code == 0, err
    assert (tmp_path/'here'/'grid.csv').read_text() == (tmp_path/'ray'/'grid.csv').read_text()
    assert len(pd.read_csv(tmp_path/'ray'/'grid.csv')) == 3

@pytest.mark.parametrize('ray_first', [False, True])
def test_local_cluster_is_loopback_only(ray_first):
    "A local cluster of `ray_start` listens on 127.0.0.1 only, also when Ray was imported before (Ray otherwise swaps 127.0.0.1 for the machine's address)."
    import subprocess
    code = ("import ray\n" if ray_first else "") + (
        "from margo.executor import ray_start\n"
        "r = ray_start(cpus=1)\n"
        "print(r.get_runtime_context().gcs_address, r.nodes()[0]['NodeManagerAddress'])\n"
        "r.shutdown()\n")
    env = {k: v for k, v in os.environ.items() if k not in ('RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER', 'RAY_ADDRESS')}
    out = subprocess.run([sys.executable, '-c', code], env=env, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    gcs, node = out.stdout.split()[-2:]
    assert gcs.startswith('127.0.0.1:') and node == '127.0.0.1', out.stdout
