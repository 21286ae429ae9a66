"""Build the static documentation site: the teaching notebooks (nbs/*.ipynb), a library reference, and the
executed paper notebooks found under paper_figures/ (with their figures), linked from one index page.

    python tools/build_docs.py [--out _site] [--only 05_reliability,index] [--figures paper_figures]

The renderer is nbconvert (installed with jupyterlab): it needs no network and no binary beyond Python.
Pages are self-contained HTML (styles inline, images embedded or copied next to the page); equations
are typeset by MathJax when the browser is online and read as TeX source otherwise.
"""
from __future__ import annotations
import argparse, html, importlib, os, re, shutil, sys, time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PAPER_NOTEBOOKS = ['overall', 'ablation', 'sensitivity', 'weights', 'motivation', 'stages', 'modalities', 'reliability', 'fidelity', 'bench', 'robustness']
CSS = """body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;line-height:1.45;color:#222}
h1,h2{border-bottom:1px solid #ddd;padding-bottom:.2rem} a{color:#0b5cad} code{background:#f3f3f3;padding:0 .2rem}
ul.pages li{margin:.25rem 0} .desc{color:#555} .thumbs img{height:90px;margin:.2rem;border:1px solid #ddd}
table{border-collapse:collapse} td,th{border:1px solid #ccc;padding:.15rem .4rem;font-size:.9rem;vertical-align:top}
.results img{max-width:100%;border:1px solid #ddd;margin:.5rem 0}"""


def title_of(nb) -> tuple:
    "(title, one-line description) from a notebook's first markdown heading and its '> ' line."
    for c in nb.cells:
        if c.cell_type != 'markdown': continue
        lines = c.source.splitlines()
        t = next((l.lstrip('# ').strip() for l in lines if l.startswith('#')), None)
        if t:
            d = next((l[1:].strip() for l in lines if l.startswith('>')), '')
            return t, d
    return None, ''


def page(title:str, body:str, up:str='') -> str:
    "A small HTML page around `body` (for the pages this script writes itself)."
    return (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title><style>{CSS}</style></head>"
            f"<body><p><a href='{up}index.html'>margo documentation</a></p>{body}</body></html>\n")


def link_notebooks(text:str, known:set, prefix:str='') -> str:
    "Links to nbs/NAME.ipynb (in rendered markdown) point at the rendered NAME.html when it is part of the site."
    def sub(m):
        stem = m.group(2)
        return f'href="{prefix}{stem}.html"' if stem in known else m.group(0)
    return re.sub(r'href="((?:\.\./)*(?:nbs/)?)([\w-]+)\.ipynb"', sub, text)


def render_notebook(path:Path, exporter) -> str:
    import nbformat
    body, _ = exporter.from_notebook_node(nbformat.read(path, as_version=4))
    # [choice] no require.js: nothing in these pages uses it, and a page must not wait on the network
    return re.sub(r'<script src="https://cdnjs\.cloudflare\.com/ajax/libs/require\.js[^"]*"></script>', '', body)


def reference_page(lessons:dict) -> str:
    "Every exported name of every margo module with the first line of its docstring, linking to the notebook that defines it."
    from margo._modidx import d
    parts = ['<h1>Library reference</h1><p>Every name the package exports, with the first line of its documentation; '
             'the name links to the notebook that defines and explains it.</p>']
    for mod, syms in sorted(d['syms'].items()):
        try: m = importlib.import_module(mod)
        except Exception as e:   # a module that needs what this machine lacks: listed, not documented
            parts.append(f"<h2>{mod}</h2><p>(not importable here: {html.escape(type(e).__name__)})</p>"); continue
        src = Path(getattr(m, '__file__', '') or '')
        # the generated module names its notebook: "File to edit: ../nbs/NAME.ipynb"
        nb = re.search(r'File to edit: \S*?([\w-]+)\.ipynb', src.read_text()[:600]) if src.is_file() else None
        nb = nb.group(1) if nb else ''
        doc = (m.__doc__ or '').strip().splitlines()
        parts.append(f"<h2 id='{mod}'>{mod}</h2><p class='desc'>{html.escape(doc[0]) if doc else ''}"
                     + (f" (<a href='lessons/{nb}.html'>{nb}</a>)" if nb in lessons else '') + '</p><ul>')
        for name in getattr(m, '__all__', []):
            obj = getattr(m, name, None)
            first = ((getattr(obj, '__doc__', None) or '').strip().splitlines() or [''])[0] if callable(obj) or isinstance(obj, type) else ''
            parts.append(f"<li><code>{html.escape(name)}</code> {html.escape(first)}</li>")
        parts.append('</ul>')
    return page('margo: library reference', '\n'.join(parts))


def find_results(figures:Path) -> list:
    "The executed paper notebooks present: [(profile, notebook, folder)]; quick profile at paper_figures/<nb>/<nb>.ipynb."
    out = []
    for nb in PAPER_NOTEBOOKS:
        for f in sorted(figures.glob(f'**/{nb}/{nb}.ipynb')):
            rel = f.parent.relative_to(figures).parts
            out.append(('quick' if len(rel) == 1 else '/'.join(rel[:-1]), nb, f.parent))
    return out


def results_page(profile:str, nb:str, folder:Path, exporter, dest:Path, up:str='..') -> tuple:
    "Render one executed paper notebook, copy its figures and tables next to it, list them; (html path, [figure names])."
    dest.mkdir(parents=True, exist_ok=True)
    figs = sorted(p.name for p in folder.glob('*.png'))
    for p in folder.iterdir():
        if p.suffix in ('.png', '.csv', '.md', '.json'): shutil.copy2(p, dest/p.name)
    body = render_notebook(folder/f'{nb}.ipynb', exporter)
    from nbconvert.filters.markdown import markdown2html
    summary = (folder/'summary.md').read_text() if (folder/'summary.md').is_file() else ''
    extra = ["<section class='results' style='max-width:60rem;margin:2rem auto;font-family:system-ui,sans-serif'>",
             f"<p><a href='{up}/index.html'>margo documentation</a></p>"]
    if summary: extra.append('<h2>The result in words</h2>' + markdown2html(summary))
    extra.append('<h2>Figures</h2>' + ''.join(f"<figure><img src='{f}' alt='{f}'><figcaption>{f}</figcaption></figure>" for f in figs)
                 if figs else '<h2>Figures</h2><p>(none)</p>')
    tables = sorted(p.name for p in folder.glob('*.csv'))
    extra.append('<h2>Tables</h2><ul>' + ''.join(f"<li><a href='{t}'>{t}</a> (<a href='{t[:-4]}.md'>Markdown</a>)</li>" for t in tables) + '</ul></section>')
    body = body.replace('</body>', '\n'.join(extra) + '</body>', 1) if '</body>' in body else body + '\n'.join(extra)
    out = dest/f'{nb}.html'
    out.write_text(body)
    return out, figs


def build(out='_site', only=None, figures=None, nbs=None, log=print) -> dict:
    "Build the site into `out`; returns {pages: [...], results: [...]} (paths relative to `out`)."
    from nbconvert import HTMLExporter
    out, figures = Path(out), Path(figures) if figures else REPO/'paper_figures'
    nbs = Path(nbs) if nbs else REPO/'nbs'
    t0 = time.perf_counter()
    if out.exists(): shutil.rmtree(out)
    (out/'lessons').mkdir(parents=True)
    exporter = HTMLExporter(template_name='lab', embed_images=True)
    wanted = [s.strip() for s in (only.split(',') if isinstance(only, str) else only or []) if s.strip()]
    paths = sorted(p for p in nbs.glob('*.ipynb') if not wanted or p.stem in wanted)
    import nbformat
    lessons = {}
    for p in paths: lessons[p.stem] = title_of(nbformat.read(p, as_version=4))
    for p in paths:
        (out/'lessons'/f'{p.stem}.html').write_text(link_notebooks(render_notebook(p, exporter), set(lessons)))
    (out/'reference.html').write_text(link_notebooks(reference_page(lessons), set(lessons), 'lessons/'))
    results = []
    for profile, nb, folder in find_results(figures):
        dest = out/'results'/(nb if profile == 'quick' else f'{profile}/{nb}')
        html_path, figs = results_page(profile, nb, folder, exporter, dest, os.path.relpath(out, dest))
        results.append(dict(profile=profile, notebook=nb, page=html_path.relative_to(out).as_posix(), figures=figs,
                            title=title_of(nbformat.read(folder/f'{nb}.ipynb', as_version=4))[0] or nb))
    # the index
    def li(stem):
        t, d = lessons[stem]
        return f"<li><a href='lessons/{stem}.html'>{html.escape(t or stem)}</a> <span class='desc'>{html.escape(d)}</span></li>"
    method = sorted((s for s in lessons if not re.match(r'2\d_', s)), key=lambda s: (s != 'index', s))   # the front page first
    models = [s for s in lessons if re.match(r'2\d_', s)]
    body = ["<h1>margo: MARGO as literate notebooks</h1>",
            "<p>MARGO (Modality Reliability Guided Multimodal Recommendation, arXiv 2504.16524): the method, its DRAGON backbone, "
            "eight baselines, and the paper notebooks that regenerate every table and figure. Each page below is a notebook.</p>",
            "<h2>The method, step by step</h2><ul class='pages'>" + ''.join(li(s) for s in method) + '</ul>']
    if models: body.append("<h2>The models</h2><ul class='pages'>" + ''.join(li(s) for s in models) + '</ul>')
    body.append("<h2>Library reference</h2><ul class='pages'><li><a href='reference.html'>Every exported name, by module</a></li></ul>")
    body.append("<h2>Results</h2>")
    if results:
        for prof in dict.fromkeys(r['profile'] for r in results):
            body.append(f"<h3>Profile <code>{prof}</code></h3><ul class='pages'>")
            for r in (r for r in results if r['profile'] == prof):
                thumbs = ''.join(f"<img src='{Path(r['page']).parent.as_posix()}/{f}' alt='{f}'>" for f in r['figures'])
                body.append(f"<li><a href='{r['page']}'>{html.escape(r['title'])}</a> <div class='thumbs'>{thumbs}</div></li>")
            body.append('</ul>')
    else:
        body.append("<p>No executed paper notebook is present (they are written next to their outputs by "
                    "<code>make paper</code>, e.g. <code>paper_figures/overall/overall.ipynb</code>).</p>")
    (out/'index.html').write_text(page('margo documentation', '\n'.join(body)))
    pages = sorted(p.relative_to(out).as_posix() for p in out.rglob('*.html'))
    log(f"docs: {len(lessons)} notebook page(s), {len(results)} results page(s), reference; {len(pages)} pages in "
        f"{time.perf_counter() - t0:.1f} s -> {out}/index.html")
    return dict(pages=pages, results=results)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog='python tools/build_docs.py', description=__doc__.split('\n\n')[0])
    p.add_argument('--out', default=str(REPO/'_site'), help="site folder (replaced; default _site/)")
    p.add_argument('--only', default=None, help="comma-separated teaching notebook stems (default: every nbs/*.ipynb)")
    p.add_argument('--figures', default=None, help="folder of the paper outputs (default paper_figures/)")
    a = p.parse_args(argv)
    try: build(a.out, a.only, a.figures)
    except (OSError, ValueError) as e: print(f"build_docs: {e}", file=sys.stderr); return 2
    return 0


if __name__ == '__main__':
    sys.exit(main())
