"""README.md states numbers only inside blocks generated from the committed outputs (margo.readme), and the
words of those blocks do not depend on the last bits of the numbers."""
import json, re, shutil
from pathlib import Path

import pandas as pd
import pytest

from margo import readme, paper

REPO = Path(__file__).resolve().parents[1]
README = REPO / 'README.md'
RESULTS = ['## What this companion finds', '## Results on TikTok in detail', '## margo against the MMRec toolbox',
           '## Results on synthetic data', '## Speed and memory', '## Where every output comes from']


def test_every_block_is_what_the_outputs_generate():
    stale = readme.check(README)
    assert not stale, f"README blocks that differ from the committed outputs (run `python -m margo.paper --readme`): {stale}"


def test_a_typed_number_in_a_block_is_caught(tmp_path):
    text = README.read_text()
    m = re.search(r'(<!-- margo:headline real/overall -->\n.*?)(0\.09\d\d)', text, re.S)
    assert m, "the README has a headline block for real/overall"
    f = tmp_path / 'README.md'
    f.write_text(text[:m.start(2)] + '0.0999' + text[m.end(2):])
    assert readme.check(f) == ['headline real/overall']
    assert readme.main(['--check', '--readme', str(f)]) == 1
    assert readme.main(['--readme', str(f)]) == 0 and readme.check(f) == []        # regenerated


def test_results_sections_state_numbers_only_in_blocks():
    text = README.read_text()
    sections = [text[text.index(h):text.find('\n## ', text.index(h) + 3)] for h in RESULTS]
    prose = readme.BLOCK.sub('', '\n'.join(sections))
    prose = re.sub(r'`[^`]*`', '', prose)                     # file names and commands may hold digits
    found = re.findall(r'(?<![\w.])\d+\.\d+|\d+(?:\.\d+)?\s?%', prose)
    assert not found, f"numbers typed outside generated blocks: {found}"


def test_the_first_screen_says_things_in_order():
    text = README.read_text()
    order = ['## What the paper claims', '<!-- margo:published -->', '## What this companion finds on real data',
             'not one of the paper\'s datasets', '<!-- margo:headline real/overall -->',
             '<!-- margo:robustness real/robustness -->', '## What could not be run here',
             'make paper PROFILE=full DATA=', '## Two commands']
    pos = [text.index(s) for s in order]
    assert pos == sorted(pos)
    assert len(text.splitlines()) < 280


def _perturbed(src: Path, dst: Path, eps: float) -> Path:
    "A copy of an output folder whose every float is moved by a relative eps (another machine's last bits)."
    shutil.copytree(src, dst)
    for f in dst.glob('*.csv'):
        df = pd.read_csv(f, index_col=0)
        num = df.select_dtypes('float').columns
        df[num] = df[num] * (1 + eps)
        df.to_csv(f)
    p = json.loads((dst / 'provenance.json').read_text())
    def walk(x):
        if isinstance(x, dict): return {k: walk(v) for k, v in x.items()}
        if isinstance(x, float): return x * (1 + eps)
        return x
    if 'verdicts' in p: p['verdicts'] = walk(p['verdicts'])
    (dst / 'provenance.json').write_text(json.dumps(p))
    return dst


@pytest.mark.parametrize('folder', ['real/overall', 'real/ablation', 'overall', 'real/weights', 'reference/fidelity'])
def test_words_survive_last_bit_differences(tmp_path, folder):
    src = REPO / 'paper_figures' / folder
    words = lambda t: re.sub(r'[-+]?\d+(\.\d+)?', '#', t)      # the sentences without their numbers
    base = readme.summarize(src)
    for eps in (1e-12, -1e-12):
        assert words(readme.summarize(_perturbed(src, tmp_path / f'{eps}', eps))) == words(base)


def test_not_significant_has_no_direction():
    assert readme.verdict(-0.8, 0.67) == readme.verdict(0.8, 0.67) == 'not significant (p = 0.67)'
    assert readme.verdict(4.0, 0.001).startswith('higher') and readme.verdict(-4.0, 0.001).startswith('lower')


def test_summary_written_next_to_outputs(tmp_path):
    shutil.copytree(REPO / 'paper_figures' / 'real' / 'ablation', tmp_path / 'ablation')
    txt = readme.write_summary(tmp_path / 'ablation')
    assert (tmp_path / 'ablation' / 'summary.md').read_text() == txt + '\n'
    assert 'w/o L_cal: the same on every seed' in txt           # Recall@20 equal on every seed: said so, not "exactly MARGO's numbers"


def test_paper_command_has_the_readme_flag():
    assert paper.parser().parse_args(['--readme']).readme is True
