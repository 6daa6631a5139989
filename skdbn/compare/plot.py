"""The figure of ``skdbn compare``: loss curves, gradient norms and filters.

The only module of the package that imports matplotlib, and only when a
figure is drawn, so that the rest works without it.
"""

import math
from pathlib import Path

import numpy as np

from .run import label


def available():
    """Whether matplotlib can be imported (``pip install "skdbn[plot]"``)."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return False
    return True


def plot_comparison(records, path, *, title=""):
    """Save the figure of a comparison: loss curves, gradient norms, filters.

    The figure shows the training loss per configuration (mean over the
    seeds, with a min-max band; log scale), the gradient norm of each weight
    layer over the epochs for each configuration (mean over the seeds; log
    scale), and, when a pretrained record has filters whose size is a
    perfect square, the first RBM's filters as images. Diverged fits are left
    out; a configuration with fits that did not converge says how many in its
    legend entry and panel title. Uses matplotlib's Agg canvas (no display
    needed).

    Parameters
    ----------
    records : list of dict
        Records of :func:`run_comparison`.
    path : str or path-like
        Where to save the PNG file.
    title : str, default=""
        Title of the figure.

    Returns
    -------
    path : pathlib.Path
        The saved file.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from sklearn.datasets import load_digits
    >>> from skdbn.compare import Settings, run_comparison
    >>> from skdbn.compare.plot import plot_comparison
    >>> X, y = load_digits(return_X_y=True)
    >>> settings = Settings(hidden_layer_sizes=(9,), epochs=2, pretrain_epochs=1, seeds=1)
    >>> records = list(run_comparison(X[:200] / 16, y[:200], settings))
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = plot_comparison(records, pathlib.Path(folder) / "compare.png")
    ...     path.stat().st_size > 0
    True
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    records = [r for r in records if not r["diverged"] and r["loss_curve"]]
    configurations = list(dict.fromkeys((r["init"], r["pretrain"]) for r in records))
    filters = _pick_filters(records)
    fig = Figure(figsize=(16, 11), layout="constrained")
    FigureCanvasAgg(fig)
    grid = fig.add_gridspec(3, 4, height_ratios=[1.4, 1, 1])
    _plot_losses(
        fig.add_subplot(grid[0, :2] if filters else grid[0, :]), records, configurations
    )
    if filters:
        _plot_filters(fig.add_subplot(grid[0, 2:]), *filters)
    _plot_gradients(fig, grid, records, configurations)
    if title:
        fig.suptitle(title)
    path = Path(path)
    fig.savefig(path, dpi=90)
    return path


_COLORS = {
    "zero": "tab:red",
    "random": "tab:orange",
    "xavier": "tab:blue",
    "he": "tab:green",
}


def _curves(records, init, pretrain, key):
    """Stack of one configuration's per-seed curves, cut to the shortest."""
    curves = [
        np.asarray(r[key], dtype=float)
        for r in records
        if (r["init"], r["pretrain"]) == (init, pretrain)
    ]
    length = min(len(c) for c in curves)
    return np.stack([c[:length] for c in curves])


def _tagged(records, init, pretrain, sep=" "):
    """The configuration's name, marked if some of its fits did not converge."""
    group = [r for r in records if (r["init"], r["pretrain"]) == (init, pretrain)]
    n = sum(r["not_converged"] is not None for r in group)
    return label(init, pretrain) + (f"{sep}(not converged: {n}/{len(group)})" if n else "")


def _plot_losses(ax, records, configurations):
    for init, pretrain in configurations:
        curves = _curves(records, init, pretrain, "loss_curve")
        epochs = np.arange(1, curves.shape[1] + 1)
        style = {"color": _COLORS.get(init), "linestyle": "--" if pretrain else "-"}
        ax.plot(epochs, curves.mean(axis=0), label=_tagged(records, init, pretrain), **style)
        ax.fill_between(
            epochs,
            curves.min(axis=0),
            curves.max(axis=0),
            alpha=0.15,
            color=style["color"],
            linewidth=0,
        )
    if records:
        chance = np.mean([r["chance_loss"] for r in records])
        ax.axhline(chance, color="gray", linestyle=":", label="chance level")
    ax.set_yscale("log")
    ax.set_xlabel("fine-tuning epoch")
    ax.set_ylabel("training loss (cross-entropy)")
    ax.set_title("Training loss: mean and min-max over the seeds")
    if configurations:
        ax.legend(ncol=2, fontsize="small")


def _plot_gradients(fig, grid, records, configurations):
    axes = []
    for k, (init, pretrain) in enumerate(configurations[:8]):
        ax = fig.add_subplot(grid[1 + k // 4, k % 4], sharey=axes[0] if axes else None)
        norms = _curves(records, init, pretrain, "gradient_norms").mean(axis=0)
        epochs = np.arange(1, norms.shape[0] + 1)
        for layer in range(norms.shape[1]):
            name = "output" if layer == norms.shape[1] - 1 else f"layer {layer + 1}"
            ax.plot(epochs, np.maximum(norms[:, layer], 1e-12), label=name)
        ax.set_yscale("log")
        name = _tagged(records, init, pretrain, sep="\n")
        ax.set_title(f"Gradient norm: {name}", fontsize="medium")
        ax.set_xlabel("epoch", fontsize="small")
        if k % 4 == 0:
            ax.set_ylabel("gradient norm (mean over seeds)", fontsize="small")
        axes.append(ax)
    if axes:
        axes[0].legend(fontsize="x-small")


def _pick_filters(records):
    """The first RBM's filters of a pretrained run, Xavier's first, if square images."""
    for init in ("xavier", "he", "random", "zero"):
        for r in records:
            W = r.get("filters")
            if r["init"] == init and W is not None and _side(W.shape[1]):
                return W, f"{label(init, True)}, seed {r['seed']}"
    return None


def _side(n_features):
    side = math.isqrt(n_features)
    return side if side >= 2 and side * side == n_features else 0


def _plot_filters(ax, W, source):
    """Up to 100 filters, each scaled to its own range, tiled in a square grid."""
    W = np.asarray(W, dtype=float)[:100]
    side, n = _side(W.shape[1]), W.shape[0]
    cols = math.ceil(math.sqrt(n))
    rows = math.ceil(n / cols)
    tiles = np.full((rows * (side + 1) + 1, cols * (side + 1) + 1), np.nan)
    for k, w in enumerate(W):
        low, high = w.min(), w.max()
        image = (w - low) / (high - low) if high > low else np.zeros_like(w)
        r, c = divmod(k, cols)
        tiles[
            1 + r * (side + 1) : (r + 1) * (side + 1),
            1 + c * (side + 1) : (c + 1) * (side + 1),
        ] = image.reshape(side, side)
    ax.imshow(tiles, cmap="gray", interpolation="nearest")
    ax.set_axis_off()
    ax.set_title(f"First RBM's filters ({source})")
