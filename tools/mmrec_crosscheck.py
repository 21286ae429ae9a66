"""Cross-checks of margo's DRAGON against DRAGON in a checkout of the MMRec toolbox, on TikTok in the reference layout.

    python tools/mmrec_crosscheck.py --mmrec PATH [--data ROOT] [--epochs 10] [--seeds 999,1,2] [--seed-epochs 15]
                                     [--record-seed 1] [--threads 1] [--out DIR]

PATH is the user's own checkout of github.com/enoche/MMRec (commit e775373; its code is imported and
wrapped from here, never copied into this repository or changed); MMRec needs `torch_geometric`
importable beside margo (for example a virtual environment made with --system-site-packages plus
`pip install torch_geometric`). ROOT is the folder holding `tiktok/` as shipped (default
`../shared/data`); the tool lays it out as the reference runs saw it (`margo.runs.reference_layout`:
audio read as MMRec's text features) in a temporary folder, together with the user-user lists of
MMRec's preprocessing script (`preprocessing/dualgnn-gen-u-u-matrix.py`, recomputed here with the
same `torch.topk` over each dense row of co-interaction counts) and MMRec's cached item graph.
MMRec is configured as the reference runs were (DRAGON, lr 1e-4, reg_weight 1e-3, batch 2048, CPU).

Two checks (`--checks 1,2`, default both):

1. margo's loop fed MMRec's draws. MMRec's DRAGON is built under `--record-seed` exactly as MMRec's
   `quick_start` builds it and trained by MMRec's own `Trainer` for `--epochs` epochs; every epoch's
   padded user-user lists and every batch's users, positives and negatives are recorded. margo's
   DRAGON (`user_ties='topk'`) gets MMRec's initial parameters and margo's `fit` trains it on exactly
   those draws (`bpr_batches` and `pre_epoch` replaced by the recording). `epochs.csv`: per epoch
   (counted from 1) epoch, loss_mmrec, loss_margo (mean batch loss), valid_recall20_mmrec (MMRec scores
   with the last batch's embeddings, one optimiser step old, and rounds to 4 digits), valid_recall20_margo
   (a fresh forward pass with the epoch's final parameters).
2. From identical initial states, per seed of `--seeds`: MMRec's loop, and margo's loop with margo's
   own draws, each from MMRec's initial state of that seed, both capped at `--seed-epochs` with MMRec's
   early stopping (stopping_step 20 = margo's patience 21). `seeds.csv`: seed, test_recall20_mmrec,
   test_recall20_margo (test Recall@20 at each loop's best validation epoch), best_epoch_mmrec,
   best_epoch_margo (counted from 1).

The defaults are what a reader can afford on a CPU and what the committed outputs used (check 1 ten
epochs, check 2 three seeds of fifteen epochs: about 20 CPU-minutes on one thread, most of them
MMRec's); the caps are recorded in
`provenance.json` (with the MMRec commit) and `result.json` (the differences in numbers). The
reference runs themselves ran to early stopping (61 to 118 epochs): raise the caps to rerun them.

Without MMRec: `--recording FILE` replays a recording that `--keep-recording FILE` saved, and
`--self-check --root ROOT --name NAME` records margo's own loop in place of MMRec's on any dataset
(the tests use it on a tiny synthetic one): the replay then reproduces the recorded losses exactly.
"""
import argparse, contextlib, json, math, os, subprocess, sys, tempfile, time, types
from pathlib import Path
import numpy as np, pandas as pd, torch

from margo.paper import tool_output
from margo.runs import write_json, reference_layout, load_folder
from margo.profiles import default_data_root, work_dir
from margo.backbone import DRAGON
from margo.trainer import FitSettings, fit
from margo.runfolder import seed_everything
import margo.trainer

REFERENCE_COMMIT = 'e775373'
HP = dict(user_ties='topk')              # margo's DRAGON with MMRec's user-user lists (`margo.fidelity.REFERENCE_HP`)
MMREC_CONFIG = dict(USER_ID_FIELD='userID', ITEM_ID_FIELD='itemID', TIME_FIELD='timestamp', inter_file_name='tiktok.inter',
                    vision_feature_file='image_feat.npy', text_feature_file='text_feat.npy', user_graph_dict_file='user_graph_dict.npy',
                    field_separator='\t', use_gpu=False, learning_rate=1e-4, reg_weight=1e-3, aggr_mode='add', stopping_step=20,
                    train_batch_size=2048)

class UserError(Exception): pass

# ---------------------------------------------------------------- the recording: model-neutral draws and results
# A recording is a dict: {'source': 'mmrec'|'margo', 'seed', 'initial': margo-named state dict,
#   'epochs': [{'user_lists': (U, k) int32 neighbour ids (0 for users without co-users), 'batches': [(u, p, n) int64],
#               'loss': mean batch loss, 'valid_recall20': float}]}
# and, per seed of check 2, {'seed', 'initial', 'test_recall20', 'best_epoch'}.

def margo_state(model:DRAGON, image:dict, text:dict, weight_u:torch.Tensor) -> dict:
    "margo's state dict with DRAGON's parameters taken from another implementation's, per modality (image, text)."
    st = {k: v.clone() for k, v in model.state_dict().items()}
    for m, p in (('image', image), ('text', text)):
        st[f'preference.{m}'] = p['preference']
        st[f'mlp.{m}.0.weight'], st[f'mlp.{m}.0.bias'] = p['MLP.weight'], p['MLP.bias']
        st[f'mlp.{m}.2.weight'], st[f'mlp.{m}.2.bias'] = p['MLP_1.weight'], p['MLP_1.bias']
    st['user_weight'] = weight_u.reshape(model.n_users, model.M)
    return {k: v.detach().clone().float() if v.is_floating_point() else v.clone() for k, v in st.items()}

def build_margo(data, initial:dict=None) -> DRAGON:
    "margo's DRAGON on `data` under the reference's settings, from `initial` (a margo state dict) if given."
    seed_everything(0)
    m = DRAGON(data, **HP)
    if initial is not None:
        if list(m.modalities) != ['image', 'text']: raise UserError(f"dataset {data.name}: modalities {m.modalities}, expected image and text")
        m.load_state_dict({**m.state_dict(), **{k: v for k, v in initial.items() if k != 'user_src'}})
    return m

def ids_to_positions(model:DRAGON, ids:torch.Tensor) -> torch.Tensor:
    "A padded user-user list of neighbour ids as margo's `user_src` (positions in the user's top-k list)."
    ug = model.user_graph; U, k = ug.nb.shape
    ids = ids.to(torch.int64)
    hit = ids[:, :, None] == ug.nb[:, None, :]                                 # (U, k, k)
    valid = torch.arange(k)[None, None, :] < ug.n[:, None, None]
    hit &= valid
    found = hit.any(-1)
    has = ug.n > 0
    if not bool(found[has].all()):
        u = int(torch.nonzero(has & ~found.all(1))[0])
        raise UserError(f"user {u}: the recorded user-user list {ids[u, :8].tolist()}... holds users outside margo's "
                        f"top-{k} list {ug.nb[u, :8].tolist()}... (the two user-user lists differ)")
    pos = hit.to(torch.int8).argmax(-1)
    return torch.where(has[:, None], pos, model.user_graph.initial().to(torch.int64)).to(torch.int32)

def positions_to_ids(model:DRAGON, src:torch.Tensor) -> torch.Tensor:
    ug = model.user_graph
    return torch.where(ug.n[:, None] > 0, ug.nb.gather(1, src.to(torch.int64)), 0).to(torch.int32)

@contextlib.contextmanager
def replaying(model:DRAGON, epochs:list):
    "margo's loop draws from `epochs` (a recording) instead of its generator: `bpr_batches` and the model's `pre_epoch`."
    state = dict(epoch=-1)
    def pre_epoch(self, generator):
        state['epoch'] += 1
        self.user_src = ids_to_positions(self, epochs[state['epoch']]['user_lists']).to(self.user_src.device)
        self.user_op = None
    def batches(data, batch_size, generator, sampler): yield from (tuple(t) for t in epochs[state['epoch']]['batches'])
    old = margo.trainer.bpr_batches
    model.pre_epoch = types.MethodType(pre_epoch, model); margo.trainer.bpr_batches = batches
    try: yield state
    finally: margo.trainer.bpr_batches = old; del model.pre_epoch

@contextlib.contextmanager
def recording_margo(model:DRAGON, epochs:list):
    "Record margo's own draws (the self-check's stand-in for MMRec's)."
    orig_pre, orig_batches = model.pre_epoch, margo.trainer.bpr_batches
    def pre_epoch(self, generator):
        orig_pre(generator); epochs.append(dict(user_lists=positions_to_ids(self, self.user_src), batches=[]))
    def batches(*a, **kw):
        for b in orig_batches(*a, **kw):
            epochs[-1]['batches'].append(tuple(t.clone() for t in b)); yield b
    model.pre_epoch = types.MethodType(pre_epoch, model); margo.trainer.bpr_batches = batches
    try: yield
    finally: margo.trainer.bpr_batches = orig_batches; del model.pre_epoch

def settings(seed:int, epochs:int) -> FitSettings:
    return FitSettings(seed=seed, epochs=epochs, patience=21, batch_size=2048, device='cpu')

def margo_fit(model, data, seed, epochs) -> tuple:
    "margo's `fit`: (its result, its history as a DataFrame)."
    with tempfile.TemporaryDirectory(prefix='margo-crosscheck-') as d:
        res = fit(model, data, settings(seed, epochs), out_dir=Path(d)/'run', progress=False)
        return res, pd.read_csv(Path(d)/'run'/'history.csv')

def replay(data, rec:dict) -> pd.DataFrame:
    "Check 1, margo's side: margo's DRAGON from the recording's initial state, trained by margo's `fit` on its draws."
    m = build_margo(data, rec['initial'])
    with replaying(m, rec['epochs']):
        _, h = margo_fit(m, data, rec['seed'], len(rec['epochs']))
    return pd.DataFrame(dict(epoch=h['epoch'], loss_mmrec=[e['loss'] for e in rec['epochs']], loss_margo=h['loss'],
                             valid_recall20_mmrec=[e['valid_recall20'] for e in rec['epochs']], valid_recall20_margo=h['valid_recall@20']))

def margo_from(data, run:dict, epochs:int) -> dict:
    "Check 2, margo's side: margo's loop with its own draws from another loop's initial state."
    res, _ = margo_fit(build_margo(data, run['initial']), data, run['seed'], epochs)
    return dict(test_recall20=res['test']['recall@20'], best_epoch=res['best_epoch'])

def self_record(data, seed:int, epochs:int, draws:bool) -> dict:
    "margo's own run as the recording (the self-check, no MMRec): its initial state, draws and numbers."
    seed_everything(seed)
    m = DRAGON(data, **HP)
    initial = {k: v.clone() for k, v in m.state_dict().items()}
    eps = []
    with (recording_margo(m, eps) if draws else contextlib.nullcontext()):
        res, h = margo_fit(m, data, seed, epochs)
    for e, (_, row) in zip(eps, h.iterrows()): e.update(loss=float(row['loss']), valid_recall20=float(row['valid_recall@20']))
    return dict(source='margo', seed=seed, initial=initial, epochs=eps, test_recall20=res['test']['recall@20'], best_epoch=res['best_epoch'])

# ---------------------------------------------------------------- MMRec's side
def mmrec_commit(path:Path) -> str:
    r = subprocess.run(['git', '-C', str(path), 'rev-parse', 'HEAD'], capture_output=True, text=True)
    return r.stdout.strip() if r.returncode == 0 else 'unknown (not a git checkout)'

def user_graph_dict(inter:Path, cap:int=200) -> dict:
    "MMRec's `preprocessing/dualgnn-gen-u-u-matrix.py`: per user, the users sharing train items, by count (torch.topk order), at most `cap`."
    import scipy.sparse as sp
    df = pd.read_csv(inter, sep='\t')
    n = len(pd.unique(df['userID'])); tr = df[df['x_label'] == 0]
    R = sp.csr_matrix((np.ones(len(tr), np.float32), (tr['userID'].values, tr['itemID'].values)), shape=(n, int(df['itemID'].max()) + 1))
    R.data[:] = 1; R.sum_duplicates(); R.data[:] = 1
    C = sp.csr_matrix(R @ R.T); C.setdiag(0); C.eliminate_zeros()
    out = {}
    for i in range(n):
        row = torch.zeros(n); lo, hi = C.indptr[i], C.indptr[i + 1]
        row[torch.from_numpy(C.indices[lo:hi].astype(np.int64))] = torch.from_numpy(C.data[lo:hi].astype(np.float32))
        t = torch.topk(row, min(hi - lo, cap))
        out[i] = [t.indices.numpy().tolist(), t.values.numpy().tolist()]
    return out

def stand_ins() -> list:
    """MMRec's `utils/dataset.py` imports its raw-image helpers (`utils/data_utils.py`: torchvision, PIL) and lmdb, which
    DRAGON on precomputed features never calls; where they cannot be imported, empty stand-ins take their place. Its
    metrics use `np.float`, the alias of `float` that NumPy 1.24 removed; it is restored where missing. The names stood in."""
    done = []
    def missing(name):
        try: __import__(name); return False
        except Exception: return True
    def refuse(*a, **kw): raise RuntimeError("MMRec's raw-image pipeline is not available here (torchvision missing)")
    if missing('torchvision') or missing('PIL'):
        sys.modules['utils.data_utils'] = types.SimpleNamespace(__name__='utils.data_utils', ImageResize=refuse, ImagePad=refuse,
                                                                 image_to_tensor=refuse, load_decompress_img_from_lmdb_value=refuse)
        done.append('utils.data_utils')
    if missing('lmdb'): sys.modules['lmdb'] = types.ModuleType('lmdb'); done.append('lmdb')
    if 'float' not in np.__dict__: np.float = float; done.append('numpy.float')   # MMRec's NDCG uses the alias of `float` that NumPy 1.24 removed
    return done

class MMRec:
    "DRAGON of an MMRec checkout on a dataset folder laid out as the reference runs saw it."
    def __init__(self, path, folder:Path):
        self.path, self.folder = Path(path).resolve(), Path(folder).resolve()
        src = self.path/'src'
        if not (src/'models'/'dragon.py').is_file() or not (src/'common'/'trainer.py').is_file():
            raise UserError(f"--mmrec {path}: no src/models/dragon.py and src/common/trainer.py there, expected a checkout of github.com/enoche/MMRec")
        try: import torch_geometric  # noqa: F401  (MMRec's DRAGON imports it)
        except ImportError: raise UserError("--mmrec: MMRec's DRAGON needs torch_geometric, which this Python cannot import (pip install torch_geometric)")
        if not (self.folder/'user_graph_dict.npy').exists():
            np.save(self.folder/'user_graph_dict.npy', user_graph_dict(self.folder/'tiktok.inter'), allow_pickle=True)
        sys.path.insert(0, str(src))
        self.stand_ins = stand_ins()
        with self.cwd():
            from utils.configurator import Config
            from utils.dataset import RecDataset
            from utils.dataloader import TrainDataLoader, EvalDataLoader
            self.config = Config('DRAGON', self.folder.name, dict(MMREC_CONFIG, data_path=str(self.folder.parent) + os.sep, seed=0))
            ds = RecDataset(self.config); str(ds)     # as `quick_start` logs them: `__str__` sets `inter_num`, which the loaders read
            tr, va, te = ds.split(); str(tr); str(va); str(te)
            self.train = TrainDataLoader(self.config, tr, batch_size=self.config['train_batch_size'], shuffle=True)
            self.valid = EvalDataLoader(self.config, va, additional_dataset=tr, batch_size=self.config['eval_batch_size'])
            self.test = EvalDataLoader(self.config, te, additional_dataset=tr, batch_size=self.config['eval_batch_size'])

    @contextlib.contextmanager
    def cwd(self):
        "MMRec reads its configs/ relative to the working directory."
        old = os.getcwd(); os.chdir(self.path/'src')
        try: yield
        finally: os.chdir(old)

    def run(self, seed:int, epochs:int, margo_model:DRAGON, draws:bool) -> dict:
        "MMRec's `quick_start` for one seed, capped at `epochs`: initial state (margo's names), results, and (`draws`) the draws."
        with self.cwd():
            from utils.utils import init_seed, get_model, get_trainer
            self.config['seed'], self.config['epochs'] = seed, epochs
            init_seed(seed)
            self.train.pretrain_setup()
            model = get_model('DRAGON')(self.config, self.train).to(self.config['device'])
            # on the CPU `result_embed` is a registered parameter that the first forward pass cannot assign: removed, nothing else changed
            model._parameters.pop('result_embed', None)
            initial = margo_state(margo_model, dict(model.v_gcn.named_parameters()), dict(model.t_gcn.named_parameters()), model.weight_u)
            trainer = get_trainer()(self.config, model, False)
            eps, valid, test = [], [], []
            orig_pre, orig_loss, orig_valid = model.pre_epoch_processing, model.calculate_loss, trainer._valid_epoch
            def pre():
                orig_pre()
                eps.append(dict(user_lists=torch.tensor(model.epoch_user_graph, dtype=torch.int32) if draws else None, batches=[], losses=[]))
            def loss(inter):
                if draws: eps[-1]['batches'].append(tuple(t.clone() for t in inter[:3]))
                out = orig_loss(inter); eps[-1]['losses'].append(out.item()); return out
            def valid_epoch(data):
                s, r = orig_valid(data); (valid if data is self.valid else test).append(r['recall@20']); return s, r
            model.pre_epoch_processing, model.calculate_loss, trainer._valid_epoch = pre, loss, valid_epoch
            _, best_valid, best_test = trainer.fit(self.train, valid_data=self.valid, test_data=self.test, saved=False, verbose=False)
        for e, v in zip(eps, valid): e.update(loss=float(np.mean(e.pop('losses'))), valid_recall20=float(v))
        best = int(np.argmax(valid)) + 1            # the first epoch with the best valid Recall@20, as MMRec's early stopping keeps it
        if not math.isclose(best_test['recall@20'], test[best - 1]): raise RuntimeError("MMRec's best test result is not that of its best epoch")
        return dict(source='mmrec', seed=seed, initial=initial, epochs=eps if draws else [],
                    test_recall20=float(best_test['recall@20']), best_epoch=best)

# ---------------------------------------------------------------- the command
def log(t0, msg): print(f"[{time.perf_counter() - t0:7.1f} s] {msg}", file=sys.stderr, flush=True)

def parse_seeds(s): return [int(x) for x in s.split(',') if x.strip()]

def summarize(ep:pd.DataFrame, sd:pd.DataFrame) -> dict:
    "The differences in numbers (what `result.json` holds)."
    r = {}
    if len(ep):
        r['check1'] = dict(epochs=len(ep), max_rel_loss_diff=float(((ep.loss_margo - ep.loss_mmrec).abs() / ep.loss_mmrec.abs()).max()),
                           max_abs_valid_recall20_diff=float((ep.valid_recall20_margo - ep.valid_recall20_mmrec).abs().max()),
                           mean_valid_recall20_diff=float((ep.valid_recall20_margo - ep.valid_recall20_mmrec).mean()))
    if len(sd):
        d = sd.test_recall20_margo - sd.test_recall20_mmrec
        t = float(d.mean() / (d.std(ddof=1) / math.sqrt(len(d)))) if len(d) > 1 and d.std(ddof=1) > 0 else None
        r['check2'] = dict(seeds=len(sd), mean_diff=float(d.mean()), paired_t=t, df=len(d) - 1,
                           mean_mmrec=float(sd.test_recall20_mmrec.mean()), mean_margo=float(sd.test_recall20_margo.mean()))
    return r

def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--mmrec', help="a checkout of github.com/enoche/MMRec (commit e775373)")
    ap.add_argument('--data', default=None, help="folder holding tiktok/ as shipped (default ../shared/data)")
    ap.add_argument('--checks', default='1,2', help="which checks: 1 (margo's loop fed MMRec's draws), 2 (identical initial states); default 1,2")
    ap.add_argument('--epochs', type=int, default=10, help="check 1: epochs recorded and replayed (default 10)")
    ap.add_argument('--record-seed', type=int, default=1, help="check 1: MMRec's seed (default 1, the seed of the reference's curves)")
    ap.add_argument('--seeds', default='999,1,2', help="check 2: seeds (default 999,1,2, the reference's)")
    ap.add_argument('--seed-epochs', type=int, default=15, help="check 2: epoch cap of both loops (default 15)")
    ap.add_argument('--threads', type=int, default=1, help="torch threads (default 1)")
    ap.add_argument('--keep-recording', default=None, help="save the recording (draws, initial states, MMRec's numbers) to this file")
    ap.add_argument('--recording', default=None, help="replay this saved recording instead of running MMRec")
    ap.add_argument('--self-check', action='store_true', help="record margo's own loop in place of MMRec's (no MMRec needed)")
    ap.add_argument('--root', default=None, help="with --self-check or --recording: another dataset, ROOT/NAME (default: TikTok in the reference layout)")
    ap.add_argument('--name', default='tiktok', help="with --root: the dataset's name (default tiktok)")
    ap.add_argument('--out', default=None, help="output folder (default paper_figures/reference/crosscheck)")
    argv = sys.argv[1:] if argv is None else list(argv)
    a = ap.parse_args(argv)
    try:
        checks = {int(c) for c in a.checks.split(',') if c.strip()}
        if not checks or checks - {1, 2}: raise UserError(f"--checks {a.checks}: expected 1, 2 or 1,2")
        seeds = parse_seeds(a.seeds)
        if a.epochs < 1 or a.seed_epochs < 1 or (2 in checks and not seeds): raise UserError("--epochs and --seed-epochs must be at least 1, --seeds not empty")
        if sum(x is not None and x is not False for x in (a.mmrec, a.recording, a.self_check or None)) != 1:
            raise UserError("give exactly one of --mmrec PATH, --recording FILE, --self-check")
        return run(a, checks, seeds, argv)
    except UserError as e:
        print(f"mmrec_crosscheck.py: {e}", file=sys.stderr); return 2

def run(a, checks, seeds, argv):
    t0 = time.perf_counter()
    torch.set_num_threads(a.threads)
    out = Path(a.out).resolve() if a.out else None
    with tempfile.TemporaryDirectory(prefix='mmrec-crosscheck-') as tmp:
        if a.root:
            folder = Path(a.root)/a.name
        else:
            src = (Path(a.data) if a.data else default_data_root())/'tiktok'
            try: folder = reference_layout(src, Path(tmp)/'data')
            except FileNotFoundError as e: raise UserError(str(e))
        data = load_folder(folder)
        if a.recording:
            rec = torch.load(a.recording, weights_only=False)
        else:
            rec = dict(check1=None, check2=[])
            if a.mmrec:
                mm = MMRec(a.mmrec, folder); rec['stand_ins'] = mm.stand_ins
                shape = build_margo(data)
                if 1 in checks: rec['check1'] = mm.run(a.record_seed, a.epochs, shape, draws=True); log(t0, f"MMRec, seed {a.record_seed}: {a.epochs} epochs recorded")
                for s in (seeds if 2 in checks else []):
                    rec['check2'].append(mm.run(s, a.seed_epochs, shape, draws=False)); log(t0, f"MMRec, seed {s}: test Recall@20 {rec['check2'][-1]['test_recall20']}")
            else:
                if 1 in checks: rec['check1'] = self_record(data, a.record_seed, a.epochs, draws=True)
                if 2 in checks: rec['check2'] = [self_record(data, s, a.seed_epochs, draws=False) for s in seeds]
            rec.update(mmrec_commit=mmrec_commit(Path(a.mmrec)) if a.mmrec else None, epochs=a.epochs, seed_epochs=a.seed_epochs)
            if a.keep_recording: torch.save(rec, a.keep_recording)
        ep = replay(data, rec['check1']) if rec.get('check1') and 1 in checks else pd.DataFrame()
        if len(ep): log(t0, "margo's loop on the recorded draws: done")
        rows = []
        for r in (rec.get('check2') or []) if 2 in checks else []:
            mg = margo_from(data, r, rec['seed_epochs'])
            rows.append(dict(seed=r['seed'], test_recall20_mmrec=r['test_recall20'], test_recall20_margo=mg['test_recall20'],
                             best_epoch_mmrec=r['best_epoch'], best_epoch_margo=mg['best_epoch'])); log(t0, f"margo, seed {r['seed']}: {rows[-1]}")
        sd = pd.DataFrame(rows)
    source = (rec.get('check1') or (rec.get('check2') or [{}])[0]).get('source', 'mmrec')
    res = dict(dataset=data.name, layout='MMRec reference layout: audio features as text' if not a.root else None,
               reference_loop=source, mmrec_commit=rec.get('mmrec_commit'),
               caps=dict(check1_epochs=len(ep), record_seed=(rec.get('check1') or {}).get('seed'),
                         check2_seeds=list(sd.seed) if len(sd) else [], check2_epoch_cap=rec['seed_epochs'] if len(sd) else None),
               threads=a.threads, **summarize(ep, sd))
    shown = [('MMREC' if x == a.mmrec else x) for x in argv]     # the user's checkout is theirs: its path is not recorded
    folder = tool_output('mmrec_crosscheck.py', out or work_dir()/'paper_figures'/'reference'/'crosscheck', models=['dragon'], argv=shown,
                         dataset=data.name, mmrec_commit=res['mmrec_commit'], reference_loop=source, caps=res['caps'], threads=a.threads,
                         mmrec_stand_ins=rec.get('stand_ins', []),
                         wall_s=round(time.perf_counter() - t0, 1))
    if len(ep): ep.to_csv(folder/'epochs.csv', index=False)
    if len(sd): sd.to_csv(folder/'seeds.csv', index=False)
    write_json(res, folder/'result.json')
    print(json.dumps(res))
    return 0

if __name__ == '__main__': sys.exit(main())
