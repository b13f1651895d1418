"""The MSM on Python ints: ``msm.msm_affine`` by Pippenger with batch-affine additions.

Same contract as the kernel: Σ kᵢ·Pᵢ for affine Montgomery points (all-zero =
infinity) and plain scalar limbs, window width c; returns the affine sum as a
(2, 4) Montgomery array (all-zero = infinity).  The thread count and block
size the kernel takes are ignored.

Steps (the maths of ``msm.py``):

1. every scalar is recoded into ⌈255/c⌉ signed digits dᵥ ∈ [−2^(c−1), 2^(c−1)]
   (the kernel's rule: raw window bits plus the top bit of the window below,
   minus 2^c when the window's own top bit is set);
2. every point goes, negated for a negative digit, to bucket |dᵥ| of window v;
3. all buckets of all windows are reduced together by halving rounds: each
   round adds neighbours pairwise in affine coordinates, every denominator of
   the round sharing one inversion (``add_pairs``);
4. each window's Σ_j j·B_j is the running sum S += B_j, T += S from the top
   bucket down, the windows stepping together so that each step is again one
   batch of additions;
5. Horner over the windows: Σᵥ 2^(cv)·Tᵥ.

Two cores: steps 1–4 of the upper half of the windows run in a forked child
process (``_in_child``) while this process does the lower half; the child sends
back its windows' sums (a few dozen ints).  Without ``os.fork``, on one CPU or
for fewer than ``FORK_MIN`` points everything runs here.

Affine addition: λ = (y₂ − y₁)/(x₂ − x₁), or 3x₁²/(2y₁) when P₁ = P₂;
x₃ = λ² − x₁ − x₂, y₃ = λ(x₁ − x₃) − y₁; P + (−P) and infinity operands are
the cases without a denominator.
"""

import os
import pickle

from verifier.fields import Q_MOD

from ..backend import implements
from .field import FQ, batch_inverse, tree_inverse, words

__all__ = ["add_pairs", "signed_digits", "msm_points", "FORK_MIN"]

#: from this many points on, half of the windows run in a forked child process
FORK_MIN = 512

#: a point is two lists' entries: x and y (ints: not tracked by the garbage collector, unlike
#: tuples of them), infinity has x = y = None


def _add_generic(x1, y1, x2, y2):
    """(x, y) lists of the sums, with every case (infinity operands, P + P, P + (−P))."""
    q_ = Q_MOD
    dens = []
    for a, b, c, d in zip(x1, y1, x2, y2):
        if a is None or c is None:
            dens.append(0)
        elif a != c:
            dens.append(c - a)
        elif b == d:
            dens.append(2 * b)
        else:
            dens.append(0)                                     # P + (−P)
    xs, ys = [], []
    for a, b, c, d, den, inv in zip(x1, y1, x2, y2, dens, batch_inverse(dens, q_)):
        if a is None:
            xs.append(c)
            ys.append(d)
        elif c is None:
            xs.append(a)
            ys.append(b)
        elif not den:
            xs.append(None)
            ys.append(None)
        else:
            lam = (3 * a * a if a == c else d - b) * inv % q_
            x3 = (lam * lam - a - c) % q_
            xs.append(x3)
            ys.append((lam * (a - x3) - b) % q_)
    return xs, ys


def add_pairs(x1: list, y1: list, x2: list, y2: list):
    """The pairwise sums of two lists of affine points given as (x, y) lists, one inversion.

    The common case, no infinity and no equal x, runs as list comprehensions over
    the whole batch (the inverses by ``tree_inverse``); the other pairs are added
    case by case."""
    if None in x1 or None in x2:
        return _add_split(x1, y1, x2, y2, [i for i, (a, c) in enumerate(zip(x1, x2))
                                           if a is None or c is None or a == c])
    dens = [c - a for a, c in zip(x1, x2)]
    if 0 in dens:
        return _add_split(x1, y1, x2, y2, [i for i, d in enumerate(dens) if d == 0])
    q_ = Q_MOD
    lam = [(d - b) * i % q_ for b, d, i in zip(y1, y2, tree_inverse(dens, q_))]
    xs = [(l * l - a - c) % q_ for l, a, c in zip(lam, x1, x2)]
    return xs, [(l * (a - x) - b) % q_ for l, a, x, b in zip(lam, x1, xs, y1)]


def _add_split(x1, y1, x2, y2, special):
    """``add_pairs`` with the pairs at the indices ``special`` added case by case."""
    if len(special) == len(x1):
        return _add_generic(x1, y1, x2, y2)
    skip = set(special)
    xs, ys = list(x1), list(y1)
    for idx, add in ((special, _add_generic), ([i for i in range(len(x1)) if i not in skip],
                                               add_pairs)):
        sx, sy = add(*([v[i] for i in idx] for v in (x1, y1, x2, y2)))
        for i, a, b in zip(idx, sx, sy):
            xs[i], ys[i] = a, b
    return xs, ys


def signed_digits(ks: list, c: int, windows) -> list:
    """For each window v in ``windows``, the list of digit dᵥ of every scalar (module doc):
    its c bits, plus the top bit of the window below, minus 2^c when its own top bit is set."""
    half, full, mask = 1 << (c - 1), 1 << c, (1 << c) - 1
    out = []
    for v in windows:
        lo = c * v
        raw = [(k >> lo) & mask for k in ks]
        carry = [(k >> (lo - 1)) & 1 for k in ks] if v else [0] * len(ks)
        out.append([r + b - (full if r >= half else 0) for r, b in zip(raw, carry)])
    return out


def _reduce(X: list, Y: list, B: list, nb: int):
    """The sum of each bucket b < nb, for points (X, Y) listed by bucket (B sorted); the sums'
    x and y lists (None for an empty bucket).

    Each round adds the pairs (i, i + 1) of neighbours in the same bucket, i running over
    even positions in one round and odd ones in the next, until every bucket holds one
    point: about log₂ of the longest bucket rounds, each a single batch (one inversion)."""
    off, idle = 0, 0
    while idle < 2:
        idx = [i for i in range(off, len(B) - 1, 2) if B[i] == B[i + 1]]
        off ^= 1
        if not idx:
            idle += 1
            continue
        idle = 0
        sx, sy = add_pairs([X[i] for i in idx], [Y[i] for i in idx],
                           [X[i + 1] for i in idx], [Y[i + 1] for i in idx])
        for i, a, b in zip(idx, sx, sy):
            X[i], Y[i], B[i + 1] = a, b, -1
        keep = [j for j, b in enumerate(B) if b >= 0]
        X, Y, B = [X[j] for j in keep], [Y[j] for j in keep], [B[j] for j in keep]
    out_x, out_y = [None] * nb, [None] * nb
    for x, y, b in zip(X, Y, B):
        out_x[b], out_y[b] = x, y
    return out_x, out_y


def _window_sums(xs: list, ys: list, ks: list, c: int, windows) -> tuple:
    """(x, y) lists of Tᵥ = Σ_j j·B_j for the windows ``windows`` (steps 1–4)."""
    half, q_ = 1 << (c - 1), Q_MOD
    nw = len(windows)
    X, Y, B = [], [], []
    for v, dv in enumerate(signed_digits(ks, c, windows)):
        bx = [[] for _ in range(half + 1)]
        by = [[] for _ in range(half + 1)]
        for x, y, d in zip(xs, ys, dv):
            if d > 0:
                bx[d].append(x)
                by[d].append(y)
            elif d < 0:
                bx[-d].append(x)
                by[-d].append(q_ - y)
        for j in range(1, half + 1):            # bucket j of window v is number v·half + j − 1
            X += bx[j]
            Y += by[j]
            B += [v * half + j - 1] * len(bx[j])
    bx, by = _reduce(X, Y, B, nw * half)
    sx, sy, tx, ty = [None] * nw, [None] * nw, [None] * nw, [None] * nw
    for j in range(half - 1, -1, -1):                  # bucket j + 1 of every window
        sx, sy = add_pairs(sx, sy, bx[j::half], by[j::half])
        tx, ty = add_pairs(tx, ty, sx, sy)
    return tx, ty


def _in_child(fn, *args):
    """Start ``fn(*args)`` in a forked child process; ``_result`` collects what it returns.
    None when no process can be started (then the caller computes it here)."""
    r, w = os.pipe()
    try:
        pid = os.fork()
    except OSError:
        os.close(r)
        os.close(w)
        return None
    if pid == 0:                                        # the child: compute, send, leave
        code = 1
        try:
            os.close(r)
            with os.fdopen(w, "wb") as out:
                out.write(pickle.dumps(fn(*args)))
            code = 0
        finally:
            os._exit(code)
    os.close(w)
    return pid, r


def _result(child):
    pid, r = child
    with os.fdopen(r, "rb") as f:
        data = f.read()
    _, status = os.waitpid(pid, 0)
    if status != 0 or not data:
        raise RuntimeError("the MSM's worker process failed")
    return pickle.loads(data)


def _fork() -> bool:
    return hasattr(os, "fork") and (os.cpu_count() or 1) > 1


def msm_points(xs: list, ys: list, ks: list, c: int):
    """Σ kᵢ·Pᵢ for affine points (x and y lists, no infinity) and int scalars < 2²⁵⁴;
    (x, y) or None."""
    nw = -(-255 // c)
    if len(xs) >= FORK_MIN and nw > 1 and _fork():
        cut = nw // 2
        child = _in_child(_window_sums, xs, ys, ks, c, range(cut, nw))
        tx, ty = _window_sums(xs, ys, ks, c, range(cut))
        ux, uy = (_window_sums(xs, ys, ks, c, range(cut, nw)) if child is None
                  else _result(child))
        tx, ty = tx + ux, ty + uy
    else:
        tx, ty = _window_sums(xs, ys, ks, c, range(nw))
    ax, ay = [None], [None]
    for v in range(nw - 1, -1, -1):
        for _ in range(c):
            ax, ay = add_pairs(ax, ay, ax, ay)
        ax, ay = add_pairs(ax, ay, tx[v:v + 1], ty[v:v + 1])
    return None if ax[0] is None else (ax[0], ay[0])


@implements("msm.msm_affine")
def msm_affine(points, scalars, c, nt=1, block=0):
    coords = FQ.values(points.reshape(-1, 4))
    ks = words(scalars)
    keep = [i for i in range(len(ks)) if coords[2 * i] or coords[2 * i + 1]]   # not infinity
    total = msm_points([coords[2 * i] for i in keep], [coords[2 * i + 1] for i in keep],
                       [ks[i] for i in keep], c)
    return FQ.montgomery([0, 0] if total is None else list(total)).reshape(2, 4)
