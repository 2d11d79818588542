"""Exact full-batch solvers for the linear models, in float64.

* :func:`ridge_solve`: the closed form of least squares with an L2 penalty
  (Cholesky or SVD in ``torch.linalg``, on the device of the data), intercept
  by (weighted) centring.
* :func:`enet_solve`: elastic net / lasso by scikit-learn's coordinate
  descent (``sklearn.linear_model.ElasticNet``), stopped by its duality gap.
* :func:`logistic_lbfgs`: L2-penalised binomial / multinomial logistic
  regression by SciPy's L-BFGS-B with the loss and gradient computed in torch,
  with scikit-learn ``LogisticRegression``'s stopping rule (largest projected
  gradient entry below ``tol``).

Each returns weights ``W`` of shape (n_outputs, n_features) and ``b`` of shape
(n_outputs,) as float64 tensors, ready to be copied into an ``nn.Linear``, and
a :class:`SolverReport`. Convergence problems are reported with their cause
(duality gap, gradient, objective still falling) as a ``ConvergenceWarning``.
"""

from __future__ import annotations

import dataclasses
import time
import warnings

import numpy as np
import torch
from scipy import optimize
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.validation import _check_sample_weight as check_sample_weight  # noqa: F401

from . import _rng


@dataclasses.dataclass
class SolverReport:
    """What an exact solver did: iterations, objective, time, convergence."""

    n_iter: int | np.ndarray | None
    objective: float
    seconds: float
    converged: bool = True
    detail: dict = dataclasses.field(default_factory=dict)


def _as_tensor(a, device):
    a = np.ascontiguousarray(a, dtype=np.float64)
    if not a.flags.writeable:  # a read-only memmap: torch wants memory it may write
        a = a.copy()
    return torch.as_tensor(a, device=device)


def _center(X, Y, sw, fit_intercept):
    """Weighted means and ``sqrt(sw)``-scaled centred copies of X and Y."""
    n, p = X.shape
    if fit_intercept:
        w = sw / sw.sum() if sw is not None else None
        x_mean = (w @ X) if w is not None else X.mean(0)
        y_mean = (w @ Y) if w is not None else Y.mean(0)
        Xc, Yc = X - x_mean, Y - y_mean
    else:
        x_mean, y_mean = X.new_zeros(p), Y.new_zeros(Y.shape[1])
        Xc, Yc = X, Y
    if sw is not None:
        root = sw.sqrt()[:, None]
        Xc, Yc = Xc * root, Yc * root
    return Xc, Yc, x_mean, y_mean


def ridge_solve(X, Y, alpha, *, sample_weight=None, fit_intercept=True, solver="auto",
                device="cpu"):
    """Minimise ``sum_i sw_i ||y_i - W x_i - b||^2 + alpha * ||W||_F^2`` exactly.

    scikit-learn ``Ridge``'s objective (``alpha`` a scalar or one value per
    output). ``solver='cholesky'`` solves the normal equations on the smaller
    Gram matrix (``X^T X`` when n >= p, else the kernel ``X X^T``);
    ``'svd'`` uses the thin SVD and gives the minimum-norm solution when
    ``alpha = 0``; ``'auto'`` is Cholesky for ``alpha > 0`` (SVD when the
    Cholesky factorisation fails or ``alpha = 0``).

    Returns ``W`` (n_outputs, n_features), ``b`` (n_outputs,) and a
    :class:`SolverReport` whose ``objective`` is the value above.
    """
    start = time.perf_counter()
    Xt, Yt = _as_tensor(X, device), _as_tensor(Y, device)
    sw = None if sample_weight is None else _as_tensor(sample_weight, device)
    Xc, Yc, x_mean, y_mean = _center(Xt, Yt, sw, fit_intercept)
    n, p = Xc.shape
    k = Yc.shape[1]
    alphas = torch.as_tensor(np.broadcast_to(np.asarray(alpha, dtype=np.float64), (k,)).copy(),
                             device=Xc.device)
    same_alpha = bool((alphas == alphas[0]).all())
    method = solver
    if solver == "auto":
        method = "cholesky" if same_alpha and float(alphas[0]) > 0 else "svd"
    coef = None
    if method == "cholesky" and same_alpha:
        a = float(alphas[0])
        primal = n >= p
        G = Xc.T @ Xc if primal else Xc @ Xc.T
        G.diagonal().add_(a)
        L, info = torch.linalg.cholesky_ex(G)
        if int(info) == 0 and bool(torch.isfinite(L).all()):
            if primal:
                coef = torch.cholesky_solve(Xc.T @ Yc, L).T
            else:
                coef = (Xc.T @ torch.cholesky_solve(Yc, L)).T
        else:
            method = "svd"  # singular: alpha = 0 with collinear columns
    if coef is None:
        method = "svd"
        U, s, Vh = torch.linalg.svd(Xc, full_matrices=False)
        UtY = U.T @ Yc  # (r, k)
        # LAPACK gelsd's cut-off: singular values below rcond * s_max count as 0
        cutoff = max(n, p) * torch.finfo(torch.float64).eps * (s[0] if len(s) else 0)
        keep = s > cutoff
        # s / (s^2 + alpha) written so that it neither overflows nor underflows
        # for singular values far from 1 (unscaled X)
        safe = torch.where(keep, s, torch.ones_like(s))[:, None]
        d = torch.where(keep[:, None], 1.0 / (safe + alphas[None, :] / safe),
                        torch.zeros((), dtype=s.dtype, device=s.device))
        coef = (Vh.T @ (d * UtY)).T
    intercept = y_mean - coef @ x_mean
    resid = Yc - Xc @ coef.T
    objective = float((resid ** 2).sum() + (alphas * (coef ** 2).sum(1)).sum())
    return coef, intercept, SolverReport(
        None, objective, time.perf_counter() - start, detail={"method": method})


def enet_solve(X, Y, alpha, l1_ratio, *, sample_weight=None, fit_intercept=True,
               max_iter=1000, tol=1e-4, warm_coef=None, device="cpu", **cd_params):
    """Elastic net by scikit-learn's coordinate descent, one output at a time.

    Objective (scikit-learn ``ElasticNet``'s, per output, summed)::

        1 / (2 * sum(sw)) * sum_i sw_i (y_i - w x_i - b)^2
            + alpha * l1_ratio * ||w||_1 + 0.5 * alpha * (1 - l1_ratio) * ||w||^2

    It stops when the duality gap is below ``tol * ||y||^2 / n`` (scikit-learn's
    rule). ``cd_params`` are passed to ``ElasticNet`` (``precompute``,
    ``positive``, ``selection``, ``random_state``, ``copy_X``). When the gap is
    still above the tolerance after ``max_iter`` sweeps a ConvergenceWarning
    gives the gap and the tolerance.
    """
    from sklearn.linear_model import ElasticNet

    start = time.perf_counter()
    X = np.asarray(X, dtype=np.float64)
    Y = np.asarray(Y, dtype=np.float64)
    model = ElasticNet(alpha=alpha, l1_ratio=l1_ratio, fit_intercept=fit_intercept,
                       max_iter=max_iter, tol=tol, warm_start=warm_coef is not None,
                       **cd_params)
    if warm_coef is not None:
        model.coef_ = np.asarray(warm_coef, dtype=np.float64).reshape(
            (Y.shape[1], X.shape[1]) if Y.shape[1] > 1 else (X.shape[1],))
    target = Y[:, 0] if Y.shape[1] == 1 else Y
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        model.fit(X, target, sample_weight=sample_weight)
    for w in caught:
        if not issubclass(w.category, ConvergenceWarning):
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    coef = np.atleast_2d(model.coef_).astype(np.float64)
    intercept = np.atleast_1d(np.asarray(model.intercept_, dtype=np.float64))
    if not (np.isfinite(coef).all() and np.isfinite(intercept).all()):
        raise ValueError(
            f"Coordinate descent produced non-finite weights: X has values up to "
            f"{np.abs(X).max():.3g}, whose squares overflow float64. Standardise X, for "
            "example with sklearn.preprocessing.StandardScaler.")
    if intercept.shape[0] != coef.shape[0]:
        intercept = np.broadcast_to(intercept, (coef.shape[0],)).copy()
    gaps = np.atleast_1d(np.asarray(model.dual_gap_, dtype=np.float64))
    sw = (np.ones(len(X)) if sample_weight is None
          else np.asarray(sample_weight, dtype=np.float64))
    sw = sw / sw.sum()
    resid = Y - X @ coef.T - intercept
    y_c = Y - (sw @ Y if fit_intercept else 0.0)
    # the stopping tolerance in the units of dual_gap_ (scikit-learn scales tol by ||y||^2 / n)
    tols = tol * (sw @ (y_c ** 2))
    objective = float(0.5 * (sw @ resid ** 2).sum() + alpha * l1_ratio * np.abs(coef).sum()
                      + 0.5 * alpha * (1 - l1_ratio) * (coef ** 2).sum())
    converged = bool(np.all(gaps <= tols * (1 + 1e-9)) or not caught)
    n_iter = model.n_iter_
    if any(issubclass(w.category, ConvergenceWarning) for w in caught):
        converged = False
        worst = int(np.argmax(gaps / np.maximum(tols, np.finfo(float).tiny)))
        output = f" (output {worst})" if len(gaps) > 1 else ""
        spread = X.std(0)
        spread = spread[spread > 0]
        cause = ("a very small alpha (or l1_ratio) on correlated features converges slowly"
                 if not len(spread) or (spread.max() < 1e3 and spread.min() > 1e-3) else
                 f"X's columns have standard deviations from {spread.min():.3g} to "
                 f"{spread.max():.3g}: standardise X, for example with StandardScaler")
        warnings.warn(
            f"Coordinate descent did not converge: after max_iter={max_iter} sweeps the "
            f"duality gap{output} is {gaps[worst]:.3g}, above the tolerance "
            f"{tols[worst]:.3g} (tol={tol:g} times the weighted variance of y), so the "
            f"objective may still be up to {gaps[worst]:.3g} above its optimum. Increase "
            f"max_iter; {cause}.",
            ConvergenceWarning, stacklevel=3)
    return (_as_tensor(coef, device), _as_tensor(intercept, device),
            SolverReport(n_iter, objective, time.perf_counter() - start, converged,
                         {"dual_gap": gaps, "tolerance": tols}))


def logistic_lbfgs(X, y, n_classes, l2, *, sample_weight=None, fit_intercept=True,
                   max_iter=100, tol=1e-4, w0=None, device="cpu"):
    """L2-penalised logistic regression by L-BFGS-B, as scikit-learn's ``lbfgs``.

    Objective: ``sum_i s_i CE_i + 0.5 * l2 * ||W||^2`` with ``s = sw / sum(sw)``
    (the mean cross-entropy without weights); ``CE`` is the binomial loss on
    one logit for two classes, the multinomial loss on ``n_classes`` logits
    otherwise. ``l2 = 1 / (C * sum(sw))`` gives ``LogisticRegression(C)``.
    SciPy's L-BFGS-B runs with scikit-learn's options (``gtol=tol``,
    ``maxls=50``, ``ftol=64 * eps``) from ``w0`` (zeros by default).

    On the CPU the loss and its gradient come from scikit-learn's own
    ``LinearModelLoss`` in ``X``'s precision, one thread, parameters laid out
    as ``LogisticRegression`` lays them out: the iterates are then
    ``LogisticRegression``'s bit for bit, also when ``max_iter`` stops both
    before convergence (on raw pixels, rounding differences alone move an
    unconverged L-BFGS path by a few percent). On another device, or where
    scikit-learn's loss module cannot be imported, torch computes them in
    float64 on ``device``.
    """
    start = time.perf_counter()
    sk_loss = _sklearn_logistic_loss(n_classes, fit_intercept) \
        if torch.device(device).type == "cpu" else None
    if sk_loss is not None:
        return _logistic_lbfgs_sklearn(
            sk_loss, X, y, n_classes, l2, sample_weight=sample_weight,
            fit_intercept=fit_intercept, max_iter=max_iter, tol=tol, w0=w0, start=start)
    Xt = _as_tensor(X, device)
    n, p = Xt.shape
    k = 1 if n_classes == 2 else n_classes
    y_idx = torch.as_tensor(np.asarray(y, dtype=np.int64), device=Xt.device)
    s = (torch.full((n,), 1.0 / n, dtype=torch.float64, device=Xt.device)
         if sample_weight is None else _as_tensor(sample_weight, device))
    if sample_weight is not None:
        s = s / s.sum()
    if k == 1:
        target = y_idx.to(torch.float64)[:, None]
    else:
        target = torch.nn.functional.one_hot(y_idx, k).to(torch.float64)
    width = p + int(fit_intercept)

    def loss_grad(w):
        Wb = torch.from_numpy(w).to(Xt.device).view(k, width)
        W = Wb[:, :p]
        z = Xt @ W.T
        if fit_intercept:
            z = z + Wb[:, p]
        if k == 1:
            per_row = torch.nn.functional.softplus(z) - target * z
            dz = torch.sigmoid(z) - target
        else:
            lse = torch.logsumexp(z, dim=1, keepdim=True)
            per_row = lse - (z * target).sum(1, keepdim=True)
            dz = torch.exp(z - lse) - target
        loss = float(s @ per_row.sum(1)) + 0.5 * l2 * float((W * W).sum())
        dz = dz * s[:, None]
        grad = torch.empty((k, width), dtype=torch.float64, device=Xt.device)
        grad[:, :p] = dz.T @ Xt + l2 * W
        if fit_intercept:
            grad[:, p] = dz.sum(0)
        return loss, grad.reshape(-1).cpu().numpy()

    x0 = np.zeros(k * width) if w0 is None else np.asarray(w0, dtype=np.float64).reshape(-1)
    res = optimize.minimize(loss_grad, x0, **_lbfgs_options(max_iter, tol))
    Wb = torch.from_numpy(res.x).to(Xt.device).view(k, width)
    return _logistic_result(res, Wb, p, fit_intercept, max_iter, tol, start)


def _lbfgs_options(max_iter, tol):
    """``scipy.optimize.minimize`` arguments of scikit-learn's ``lbfgs`` solver."""
    return dict(method="L-BFGS-B", jac=True,
                options={"maxiter": max_iter, "maxls": 50, "gtol": tol,
                         "ftol": 64 * np.finfo(float).eps})


def _sklearn_logistic_loss(n_classes, fit_intercept):
    """scikit-learn's ``LinearModelLoss`` for ``LogisticRegression``, or None.

    Private scikit-learn modules (stable since 1.1); if they move, the torch
    objective is used instead and the iterates agree only up to rounding.
    """
    try:
        from sklearn._loss.loss import HalfBinomialLoss, HalfMultinomialLoss
        from sklearn.linear_model._linear_loss import LinearModelLoss
    except ImportError:  # pragma: no cover - depends on scikit-learn's internals
        return None
    base = HalfBinomialLoss() if n_classes == 2 else HalfMultinomialLoss(n_classes=n_classes)
    return LinearModelLoss(base_loss=base, fit_intercept=fit_intercept)


def _logistic_lbfgs_sklearn(loss, X, y, n_classes, l2, *, sample_weight, fit_intercept,
                            max_iter, tol, w0, start):
    """:func:`logistic_lbfgs` with scikit-learn's loss code, as ``_logistic_regression_path``."""
    X = np.ascontiguousarray(X.detach().cpu().numpy() if isinstance(X, torch.Tensor) else X)
    if X.dtype not in (np.float32, np.float64):
        X = X.astype(np.float64)
    n, p = X.shape
    k = 1 if n_classes == 2 else n_classes
    width = p + int(fit_intercept)
    target = np.asarray(y).astype(X.dtype)
    sw = None if sample_weight is None else np.asarray(sample_weight, dtype=X.dtype)
    start_w = (np.zeros((k, width), dtype=X.dtype) if w0 is None
               else np.asarray(w0, dtype=X.dtype).reshape(k, width))
    # Multinomial: classes contiguous in the flat vector (order "F"), as scikit-learn.
    x0 = start_w[0] if k == 1 else np.asfortranarray(start_w).ravel(order="F")
    res = optimize.minimize(loss.loss_gradient, x0, args=(X, target, sw, l2, 1),
                            **_lbfgs_options(max_iter, tol))
    Wb = res.x[None, :] if k == 1 else res.x.reshape((k, width), order="F")
    Wb = torch.from_numpy(np.ascontiguousarray(Wb, dtype=np.float64))
    return _logistic_result(res, Wb, p, fit_intercept, max_iter, tol, start)


def _logistic_result(res, Wb, p, fit_intercept, max_iter, tol, start):
    """``(coef, intercept, SolverReport)`` of an L-BFGS-B result; warns if not converged."""
    coef = Wb[:, :p].clone()
    intercept = Wb[:, p].clone() if fit_intercept else Wb.new_zeros(len(Wb))
    grad_max = float(np.abs(res.jac).max()) if len(res.jac) else 0.0
    converged = res.status == 0
    if not converged:
        cause = ("all max_iter={} iterations".format(max_iter) if res.nit >= max_iter
                 else f"the line search ({res.message})")
        warnings.warn(
            f"lbfgs did not converge: it stopped on {cause} with the largest gradient "
            f"entry {grad_max:.3g} > tol={tol:g} (objective {res.fun:.8g}). Increase "
            "max_iter; features on very different scales make the problem ill-conditioned "
            "and slow to solve (standardise them, for example with StandardScaler).",
            ConvergenceWarning, stacklevel=3)
    return coef, intercept, SolverReport(
        int(res.nit), float(res.fun), time.perf_counter() - start, bool(converged),
        {"grad_max": grad_max, "n_fun": int(res.nfev)})


def store_in_linear(estimator, W, b):
    """Put ``W, b`` into a fresh float64 ``nn.Linear`` on their device, as ``module_``.

    The layer is built by ``estimator._build_module`` (without touching the
    global RNG) and left in eval mode; ``module_dtype_`` is set to float64.
    """
    n_outputs, n_features = W.shape
    # Building the layer draws initial weights (overwritten below): from a
    # generator of its own, so that fits in threads never touch the global RNG.
    with _rng.drawing_from(torch.Generator().manual_seed(0)):
        module = estimator._build_module(n_features, n_outputs)
    module = module.to(dtype=torch.float64, device=W.device)
    with torch.no_grad():
        module.weight.copy_(W)
        if module.bias is not None:
            module.bias.copy_(b)
    estimator.module_ = module.eval()
    estimator.module_dtype_ = torch.float64
    return module


def linear_weights(layer):
    """``(W, b)`` of an ``nn.Linear`` as float64 numpy arrays (``b = 0`` without bias)."""
    w = layer.weight.detach().cpu().double().numpy().copy()
    b = (layer.bias.detach().cpu().double().numpy().copy() if layer.bias is not None
         else np.zeros(w.shape[0]))
    return w, b
