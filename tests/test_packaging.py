"""Packaging: the licence file matches the declared licence, the package is typed, an installed copy writes under the current directory."""
import os, shutil, subprocess, sys, tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

def test_license_matches_pyproject():
    meta = tomllib.loads((REPO/'pyproject.toml').read_text())['project']
    assert meta['license'] == 'Apache-2.0' and meta['license-files'] == ['LICENSE']
    text = (REPO/'LICENSE').read_text()
    assert 'Apache License' in text and 'Version 2.0, January 2004' in text and 'END OF TERMS AND CONDITIONS' in text
    assert meta['urls']['Paper (arXiv)'] == 'https://arxiv.org/abs/2504.16524'

def test_typed_and_cited():
    assert (REPO/'margo'/'py.typed').exists()
    cff = (REPO/'CITATION.cff').read_text()
    assert 'cff-version: 1.2.0' in cff and '2504.16524' in cff and 'Modality Reliability Guided Multimodal Recommendation' in cff

def test_installed_copy_writes_under_cwd(tmp_path):
    "A copy of the package outside a checkout (as in site-packages) puts runs and figures under the current directory, or $MARGO_RUNS."
    site = tmp_path/'site'; shutil.copytree(REPO/'margo', site/'margo', ignore=shutil.ignore_patterns('__pycache__'))
    cwd = tmp_path/'work'; cwd.mkdir()
    code = "from margo.profiles import runs_dir, figures_dir, IN_CHECKOUT; print(IN_CHECKOUT, runs_dir(), figures_dir('quick', 'overall'))"
    env = {k: v for k, v in os.environ.items() if k != 'MARGO_RUNS'} | {'PYTHONPATH': str(site)}
    out = subprocess.run([sys.executable, '-c', code], cwd=cwd, env=env, capture_output=True, text=True, check=True).stdout.split()
    assert out == ['False', str(cwd/'runs'), str(cwd/'paper_figures'/'overall')]
    out = subprocess.run([sys.executable, '-c', code], cwd=cwd, env=env | {'MARGO_RUNS': str(tmp_path/'r')}, capture_output=True, text=True, check=True).stdout.split()
    assert out[1] == str(tmp_path/'r')
