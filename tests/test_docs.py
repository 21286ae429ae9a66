"""`make docs` (tools/build_docs.py): the site builds from the committed notebooks, its index links every page,
and each results page embeds the figures of its output folder. A subset of the teaching notebooks keeps it fast;
the executed paper notebooks are stand-ins written here (the committed ones are used too when present)."""
import importlib.util, re, shutil, sys
from pathlib import Path

import nbformat
import pytest

REPO = Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location('build_docs', REPO / 'tools' / 'build_docs.py')
build_docs = importlib.util.module_from_spec(spec); spec.loader.exec_module(build_docs)


def executed_copy(folder: Path, nb: str):
    "An executed paper notebook in `folder` (as make paper leaves it): a title, a table output and one figure shown in place."
    import base64
    png = next(folder.glob('*.png'), None)
    cells = [nbformat.v4.new_markdown_cell(f'# {nb}: a stand-in executed notebook'),
             nbformat.v4.new_code_cell('print("table")', outputs=[nbformat.v4.new_output('stream', name='stdout', text='table\n')])]
    if png is not None:
        cells.append(nbformat.v4.new_code_cell('show(png)', outputs=[nbformat.v4.new_output(
            'display_data', data={'image/png': base64.b64encode(png.read_bytes()).decode(), 'text/plain': '<Image>'})]))
    nbformat.write(nbformat.v4.new_notebook(cells=cells), folder / f'{nb}.ipynb')


@pytest.fixture(scope='module')
def site(tmp_path_factory):
    tmp = tmp_path_factory.mktemp('docs')
    figs = tmp / 'paper_figures'
    # two profiles: the quick one at paper_figures/<nb>/, the real one at paper_figures/real/<nb>/
    for rel in ['weights', 'real/stages', 'real/overall']:
        shutil.copytree(REPO / 'paper_figures' / rel, figs / rel)
        executed_copy(figs / rel, rel.split('/')[-1])
    for f in (REPO / 'paper_figures').glob('**/*.ipynb'):     # committed executed notebooks, when present
        dest = figs / f.relative_to(REPO / 'paper_figures')
        if not dest.exists(): shutil.copytree(f.parent, dest.parent, dirs_exist_ok=True)
    out = tmp / 'site'
    res = build_docs.build(out, only='index,05_reliability,20_bprmf', figures=figs, log=print)
    return out, figs, res


def links(html_file: Path) -> set:
    "The local pages a page links to, as paths relative to the site."
    site = html_file.parent
    return {(site / h).resolve() for h in re.findall(r"href=['\"]([^'\"#]+\.html)['\"]", html_file.read_text()) if '://' not in h}


def test_index_links_every_page(site):
    out, _, res = site
    pages = {p.resolve() for p in out.rglob('*.html')} - {(out / 'index.html').resolve()}
    assert {(out / 'lessons' / f'{s}.html').resolve() for s in ('index', '05_reliability', '20_bprmf')} <= pages
    assert (out / 'reference.html').resolve() in pages
    assert len(res['results']) >= 3
    missing = pages - links(out / 'index.html')
    assert not missing, f"pages the index does not link: {sorted(str(p.relative_to(out.resolve())) for p in missing)}"


def test_results_pages_embed_their_figures(site):
    out, figs, res = site
    profiles = {r['profile'] for r in res['results']}
    assert {'quick', 'real'} <= profiles
    for r in res['results']:
        page = out / r['page']
        src = figs / (r['notebook'] if r['profile'] == 'quick' else f"{r['profile']}/{r['notebook']}")
        html = page.read_text()
        pngs = sorted(p.name for p in src.glob('*.png'))
        for png in pngs:
            assert f"src='{png}'" in html, f"{r['page']} does not show {png}"
            assert (page.parent / png).is_file(), f"{png} not copied next to {r['page']}"
        if (src / 'summary.md').is_file(): assert 'The result in words' in html
        assert 'index.html' in html                       # a way back to the index


def test_reference_lists_the_library(site):
    out, _, _ = site
    ref = (out / 'reference.html').read_text()
    for mod, name in [('margo.reliability', 'reliability_vector'), ('margo.readme', 'detectable_difference'), ('margo.trainer', 'train')]:
        assert f"id='{mod}'" in ref and f"<code>{name}</code>" in ref
    assert "href='lessons/05_reliability.html'" in ref       # a module links to its notebook when that page is built


def test_no_executed_notebooks(tmp_path):
    "Without any executed paper notebook the site still builds and says where they come from."
    (tmp_path / 'figs').mkdir()
    res = build_docs.build(tmp_path / 'site', only='index', figures=tmp_path / 'figs', log=print)
    assert res['results'] == []
    assert 'No executed paper notebook is present' in (tmp_path / 'site' / 'index.html').read_text()


# tools/refresh_lessons.py: re-execute a lesson notebook, keep what it shows, drop what it prints
spec2 = importlib.util.spec_from_file_location('refresh_lessons', REPO / 'tools' / 'refresh_lessons.py')
refresh_lessons = importlib.util.module_from_spec(spec2); spec2.loader.exec_module(refresh_lessons)


def test_refresh_lessons_finds_and_fixes_a_stale_output(tmp_path):
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell('# A lesson'),
        nbformat.v4.new_code_cell("import pandas as pd\nprint('progress...')\npd.DataFrame({'gap': [1.0, -1.0]})",
                                  outputs=[nbformat.v4.new_output('execute_result', data={'text/plain': '   old column\n0  1.0'}, execution_count=3)]),
        nbformat.v4.new_code_cell("x = 2 + 2"),
    ])
    nb.metadata['kernelspec'] = {'name': 'python3', 'display_name': 'python3', 'language': 'python'}
    f = tmp_path / 'lesson.ipynb'; nbformat.write(nb, f)
    before = f.read_text()
    assert refresh_lessons.main(['--check', str(f)]) == 1          # the committed table shows a column the code no longer writes
    assert f.read_text() == before                                   # --check writes nothing
    assert refresh_lessons.main([str(f)]) == 0
    cell = nbformat.read(f, as_version=4).cells[1]
    assert [o['output_type'] for o in cell.outputs] == ['execute_result']   # the print is dropped, the table kept
    assert 'gap' in cell.outputs[0]['data']['text/plain'] and cell.execution_count is None
    assert refresh_lessons.main(['--check', str(f)]) == 0          # nothing stale any more
    assert refresh_lessons.main([str(tmp_path / 'missing.ipynb')]) == 2
