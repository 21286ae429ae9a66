"""Shared fixtures: where the real data lives (../shared/data next to the repository), and a tiny synthetic dataset."""
from pathlib import Path
import pytest
from margo.synthetic import make_synthetic

TINY = dict(n_users=150, n_items=90, dims={'image': 32, 'text': 16})   # the tiny dataset of the command-line tests

@pytest.fixture(scope='module')
def tiny(tmp_path_factory):
    "A tiny synthetic dataset 'tiny' (`TINY`), made once per test module; its root folder."
    root = tmp_path_factory.mktemp('data')
    make_synthetic(root, name='tiny', seed=0, **TINY)
    return root

SHARED_DATA = Path(__file__).resolve().parents[2]/'shared'/'data'

def shared_data_path(*parts) -> Path:
    "Path under the shared real-data folder; skips the calling test with a clear reason when it is absent."
    p = SHARED_DATA.joinpath(*parts)
    if not p.exists():
        pytest.skip(f"real data not found at {p} (expected the shared data folder ../shared/data next to the repository)")
    return p

@pytest.fixture
def shared_data() -> Path:
    "The shared real-data folder (../shared/data next to the repository); skips when absent."
    return shared_data_path()
