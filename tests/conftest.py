"""Shared fixtures: where the real data lives (../shared/data next to the repository)."""
from pathlib import Path
import pytest

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
