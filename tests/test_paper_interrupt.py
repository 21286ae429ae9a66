"""Ctrl-C on `python -m margo.paper`: no further notebook starts, the running ones are stopped, one line and exit 130."""
import os, signal, subprocess, sys, threading, time
from pathlib import Path
import pytest
from margo import paper

def _slow_notebooks(monkeypatch, tmp_path, started):
    "run_notebook replaced by a child process that sleeps (as a notebook's papermill would run), recording each start."
    def fake(name, params, out_root, threads=None, timeout=None):
        started.append(name)
        code = f"import time, pathlib; pathlib.Path({str(tmp_path)!r}, {name!r} + '.pid').write_text(str(__import__('os').getpid())); time.sleep(60)"
        rc, _, err = paper.run_child([sys.executable, '-c', code], dict(os.environ), timeout)
        return dict(notebook=name, ok=rc == 0, seconds=0.0, output='', figures='', runs=None, threads=threads, error=err)
    monkeypatch.setattr(paper, 'run_notebook', fake)
    monkeypatch.setattr(paper, 'prepare_inputs', lambda *a, **k: None)

def test_interrupt_stops_running_and_starts_nothing_more(monkeypatch, tmp_path):
    started, lines = [], []
    _slow_notebooks(monkeypatch, tmp_path, started)
    def ctrl_c():                                   # once the first two notebooks run, as a user would press Ctrl-C
        while len(list(tmp_path.glob('*.pid'))) < 2: time.sleep(0.05)
        os.kill(os.getpid(), signal.SIGINT)
    threading.Thread(target=ctrl_c, daemon=True).start()
    t0 = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        paper.run_paper('quick', only=['overall', 'ablation', 'sensitivity', 'weights'], jobs=2, out_root=tmp_path/'o', log=lines.append)
    assert time.monotonic() - t0 < 30                                 # the 60 s sleeps were stopped, not waited for
    assert sorted(started) == sorted(paper.select(['overall', 'ablation', 'sensitivity', 'weights'], 'quick')[:2])   # the two queued never started
    for f in tmp_path.glob('*.pid'):                                  # the children are gone
        with pytest.raises(ProcessLookupError): os.kill(int(f.read_text()), 0)
    assert not paper.CHILDREN
    assert 'interrupted after 0 of 4 notebook(s); 2 running one(s) stopped, 2 not started' in lines[-1], lines

def test_sigterm_is_one_line_and_exit_130(tmp_path):
    "The command itself (`paper.cli`, what `python -m margo.paper` runs), its notebooks replaced by slow children, and a SIGTERM handler installed on the way as ray.init does: SIGTERM stops it with one line, exit 130, no traceback."
    code = f"""
import os, sys, time, pathlib
from margo import paper
def fake(name, params, out_root, threads=None, timeout=None):
    child = 'import time, pathlib; pathlib.Path(' + repr({str(tmp_path)!r}) + ', ' + repr(name) + ').write_text(""); time.sleep(60)'
    rc, _, err = paper.run_child([sys.executable, '-c', child], dict(os.environ), timeout)
    return dict(notebook=name, ok=rc == 0, seconds=0.0, output='', figures='', runs=None, threads=threads, error=err)
import signal
def like_ray(*a, **k):   # ray.init (the Ray executor, before any notebook) installs a SIGTERM handler that ends the process at once
    signal.signal(signal.SIGTERM, lambda *_: os._exit(143))
paper.run_notebook, paper.prepare_inputs = fake, like_ray
sys.exit(paper.cli(['--profile', 'quick', '--only', 'overall,ablation,weights', '--jobs', '2']))
"""
    p = subprocess.Popen([sys.executable, '-c', code], env=dict(os.environ, MARGO_RUNS=str(tmp_path/'runs')), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    while len([f for f in tmp_path.iterdir() if f.is_file()]) < 2 and p.poll() is None: time.sleep(0.05)   # two notebooks running
    p.send_signal(signal.SIGTERM)
    out, err = p.communicate(timeout=60)
    assert p.returncode == 130, (out, err)
    assert 'Traceback' not in err and 'interrupted; rerun the same command' in err, err
    assert 'interrupted after 0 of 3 notebook(s); 2 running one(s) stopped, 1 not started' in out, out
