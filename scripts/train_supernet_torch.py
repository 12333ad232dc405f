"""Train the shipped weight-sharing supernet on Fashion-MNIST with PyTorch (CPU), in resumable pieces.

    apt-get install dataset-fashion-mnist        # the full training file (60,000 images)
    python -m venv /tmp/tvenv && /tmp/tvenv/bin/pip install torch numpy
    PYTHONPATH=. /tmp/tvenv/bin/python scripts/train_supernet_torch.py --checkpoint ck.pt --minutes 8
    ...                                          # run again: it resumes from ck.pt until done
    PYTHONPATH=. /tmp/tvenv/bin/python scripts/train_supernet_torch.py --checkpoint ck.pt --save
    PYTHONPATH=. /tmp/tvenv/bin/python scripts/train_supernet_torch.py --alone --checkpoint alone.pt
    PYTHONPATH=. /tmp/tvenv/bin/python scripts/train_supernet_torch.py --checkpoint alone.pt --report

The network is the package's, layer for layer (``nas/space.py``: conv -> batch norm with the
batch's statistics -> ReLU6, channel slicing, centre kernel crops, first blocks of each stage), so
the shared weights it writes (``nas/weights/supernet.npz``, the ``shared_weights`` layout) are
loaded by the package's numpy code and evaluated there (``nas/evaluate.py``). The recipe is
``TORCH_RECIPE`` in ``nas/supernet_train.py``: the sandwich rule with in-place distillation (the
largest subnet learns from the labels, the smallest and the random ones from the largest's
predictions, BigNAS), Adam with a linear warm-up and cosine decay, random 2-pixel shifts and
horizontal flips when ``augment``, on the training file less the ``val`` images (``derive_fashion_mnist.split_indices``).
``--alone`` trains only the largest subnet (28 px, width 1) with the same recipe: the reference the
supernet's largest subnet is compared with. Each piece stops after ``--minutes`` of wall clock
and writes the checkpoint (weights, Adam, step); the step's subnets and batch are drawn from
seeds of the step, so a resumed run draws what one run would have.
"""

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parent))
from derive_fashion_mnist import load_source, split_indices  # noqa: E402

from tinyml_course.nas import checkpoint as ckpt  # noqa: E402
from tinyml_course.nas import space as sp  # noqa: E402
from tinyml_course.nas.shared_weights import init_supernet, slot_names  # noqa: E402
from tinyml_course.nas.supernet_train import TORCH_RECIPE as RECIPE  # noqa: E402
from tinyml_course.nas.task import area_matrix  # noqa: E402

EPS = 1e-5


def to_torch(shared):
    return {k: [torch.tensor(a, requires_grad=True) for a in v] for k, v in shared.items()}


def bn(z, gamma, beta, act, stats, key):
    """Batch norm with the batch's statistics (recorded in ``stats``) or with given ones."""
    c = z.shape[1]
    if stats is not None and key in stats and not isinstance(stats, Recorder):
        mean, var = stats[key]
    else:
        mean, var = z.mean((0, 2, 3)), z.var((0, 2, 3), unbiased=False)
        if isinstance(stats, Recorder):
            stats[key] = (mean.detach(), var.detach())
    y = (z - mean[None, :, None, None]) / torch.sqrt(var[None, :, None, None] + EPS)
    y = y * gamma[:c, None, None] + beta[:c, None, None]
    return y.clamp(0, 6) if act else y


class Recorder(dict):
    """Batch statistics recorded by a forward pass (BN recalibration)."""


def forward(w, arch, x, stats=None):
    """Logits (N, K) of subnet ``arch`` on x (N, 1, R, R); the package's network, in torch."""
    slots = slot_names(arch)
    cin = sp.channels(sp.STEM, arch.width)
    sw = w["stem"]
    h = bn(F.conv2d(x, sw[0][:cin], stride=sp.STEM_STRIDE, padding=1), sw[1], sw[2], True,
           stats, "stem")
    blocks = [(3, 1, sp.channels(sp.FIRST, arch.width), 1)]
    for s, (base, stride) in enumerate(sp.STAGES):
        for j in range(arch.depths[s]):
            slot = s * sp.MAX_DEPTH + j
            blocks.append((arch.kernels[slot], arch.expands[slot], sp.channels(base, arch.width),
                           stride if j == 0 else 1))
    for i, (k, e, out, stride) in enumerate(blocks):
        inp, c = h, h.shape[1]
        mid = round(c * e)
        if e != 1:
            we = w[f"{slots[i]}.expand"]
            h = bn(F.conv2d(h, we[0][:mid, :c, None, None]), we[1], we[2], True, stats,
                   f"{slots[i]}.expand")
        wd = w[f"{slots[i]}.dw"]
        off = (wd[0].shape[1] - k) // 2
        kern = wd[0][:mid, off:off + k, off:off + k][:, None]
        h = bn(F.conv2d(h, kern, stride=stride, padding=k // 2, groups=mid), wd[1], wd[2], True,
               stats, f"{slots[i]}.dw")
        wp = w[f"{slots[i]}.project"]
        h = bn(F.conv2d(h, wp[0][:out, :mid, None, None]), wp[1], wp[2], False, stats,
               f"{slots[i]}.project")
        if stride == 1 and c == out:
            h = h + inp
    wc, bc = w["classifier"]
    return h.mean((2, 3)) @ wc[:, :h.shape[1]].T + bc


def resize(x28, r):
    """(N, 1, 28, 28) -> (N, 1, r, r) by area averaging (``task.area_matrix``)."""
    if r == 28:
        return x28
    a = torch.tensor(area_matrix(r, 28))
    return torch.einsum("rc,ncd,sd->nrs", a, x28[:, 0], a)[:, None]


def augment(x, gen):
    """Random shifts by up to 2 pixels (zero padding) and horizontal flips, per image."""
    n = x.shape[0]
    pad = F.pad(x, (2, 2, 2, 2))
    dy, dx = (torch.randint(0, 5, (n,), generator=gen) for _ in range(2))
    rows = (dy[:, None] + torch.arange(28))[:, :, None]
    cols = (dx[:, None] + torch.arange(28))[:, None, :]
    out = pad[torch.arange(n)[:, None, None], 0, rows, cols][:, None]
    flip = torch.rand(n, generator=gen) < 0.5
    out[flip] = out[flip].flip(-1)
    return out


def sandwich(rng, alone):
    if alone:
        return [sp.largest()]
    top = sp.largest(resolution=sp.RESOLUTIONS[int(rng.integers(len(sp.RESOLUTIONS)))])
    return [top, sp.smallest()] + [sp.random_arch(rng) for _ in range(RECIPE["random"])]


def evaluate(w, arch, x_calib, x_val, y_val):
    with torch.no_grad():
        stats = Recorder()
        forward(w, arch, resize(x_calib, arch.resolution), stats)
        logits = forward(w, arch, resize(x_val, arch.resolution), dict(stats))
        return float((logits.argmax(1) == y_val).float().mean())


def report(w, step):
    """The largest subnet's accuracy on the shipped subset's 2,500 'val' and 2,500 'test' images,
    batch norm recalibrated on the first CALIB_IMAGES 'calib' ones (``nas/evaluate.py``'s rule)."""
    from tinyml_course.nas import evaluate as ev, task
    arch = sp.largest()
    calib = torch.tensor(task.load_split("calib", arch.resolution, ev.CALIB_IMAGES)[0])
    for split in ("val", "test"):
        x, y = task.load_split(split, arch.resolution)
        acc = evaluate(w, arch, calib, torch.tensor(x), torch.tensor(y))
        print(f"step {step}: {arch.name} {split} ({len(y)}) {100 * acc:.2f}% "
              f"+- {100 * float(ev.accuracy_spread(acc)):.2f}")


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--checkpoint", type=Path, required=True)
    p.add_argument("--minutes", type=float, default=8.0, help="wall clock of this piece")
    p.add_argument("--alone", action="store_true", help="train only the largest subnet")
    p.add_argument("--save", type=Path, nargs="?", const=Path("tinyml_course/nas/weights/supernet.npz"),
                   default=None, help="write the shared weights (.npz, float16) and stop")
    p.add_argument("--report", action="store_true",
                   help="print the largest subnet's accuracy on the shipped 'val' and 'test' and stop")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--steps", type=int, default=RECIPE["steps"],
                   help="the cosine's horizon (a resumed leg may shorten it: docs/tinynas.md)")
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    x_tr, y_tr, _, _ = load_source()
    idx = split_indices(len(y_tr))
    fit = idx["fit"]
    x_all = (torch.tensor(x_tr, dtype=torch.float32)[:, None] / 255.0).contiguous(
        memory_format=torch.channels_last)  # oneDNN's fast depthwise layout
    y_all = torch.tensor(y_tr.astype(np.int64))
    x_val, y_val = x_all[idx["val"][:1000]], y_all[idx["val"][:1000]]
    x_calib = x_all[idx["calib"]]

    w = to_torch(init_supernet())
    params = [a for v in w.values() for a in v]
    opt = torch.optim.Adam(params, lr=RECIPE["lr"])
    step = 0
    if args.checkpoint.is_file():
        state = torch.load(args.checkpoint, weights_only=False)  # our own file
        with torch.no_grad():
            for k, v in state["w"].items():
                for a, b in zip(w[k], v):
                    a.copy_(b)
        opt.load_state_dict(state["opt"])
        step = state["step"]
        print(f"resumed at step {step}", flush=True)
    if args.report:
        report(w, step)
        return
    if args.save:
        shared = {k: tuple(a.detach().numpy() for a in v) for k, v in w.items()}
        ckpt.save_weights(args.save, shared)
        for arch in (sp.largest(), sp.smallest()):
            print(f"{arch.name}: torch val acc (1000) {evaluate(w, arch, x_calib, x_val, y_val):.4f}")
        print(f"saved {args.save} at step {step}")
        return

    steps, start = args.steps, time.perf_counter()
    while step < steps and time.perf_counter() - start < 60 * args.minutes:
        rng = np.random.default_rng((RECIPE["seed"], step))
        gen = torch.Generator().manual_seed(int(rng.integers(2**31)))
        lr = RECIPE["lr"] * min(1.0, (step + 1) / RECIPE["warmup"]) * 0.5 * (
            1 + np.cos(np.pi * step / steps))
        for g in opt.param_groups:
            g["lr"] = lr
        batch = torch.tensor(rng.choice(fit, RECIPE["batch"], replace=False))
        x28, y = x_all[batch], y_all[batch]
        if RECIPE["augment"]:
            x28 = augment(x28, gen)
        opt.zero_grad()
        soft, losses = None, []
        for i, arch in enumerate(sandwich(rng, args.alone)):
            logits = forward(w, arch, resize(x28, arch.resolution))
            if i == 0:
                loss = F.cross_entropy(logits, y, label_smoothing=RECIPE["smoothing"])
                soft = F.softmax(logits.detach(), 1)
            else:
                loss = -(soft * F.log_softmax(logits, 1)).sum(1).mean()
            loss.backward()
            losses.append(float(loss.detach()))
        opt.step()
        step += 1
        if step % 50 == 0 or step == steps:
            print(f"step {step}/{steps} lr {lr:.2e} losses {' '.join(f'{v:.3f}' for v in losses)} "
                  f"{time.perf_counter() - start:.0f} s", flush=True)
        if step % 500 == 0 or step == steps:
            print(f"  val(1000) largest {evaluate(w, sandwich(rng, True)[0], x_calib, x_val, y_val):.4f}"
                  f" smallest {evaluate(w, sp.smallest(), x_calib, x_val, y_val):.4f}", flush=True)
    torch.save({"w": {k: [a.detach() for a in v] for k, v in w.items()}, "opt": opt.state_dict(),
                "step": step}, args.checkpoint)
    print(f"piece done at step {step}/{steps} in {time.perf_counter() - start:.0f} s "
          f"-> {args.checkpoint}", flush=True)


if __name__ == "__main__":
    main()
