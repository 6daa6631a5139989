"""What ``skdbn compare`` prints: the header, the table and the JSON document."""

import json
import math

import numpy as np

from .run import label

FOOTER = """
test accuracy: mean ± std over the seeds; final loss: training cross-entropy, last epoch
grad norm L1 ep1: norm of the loss gradient of the first weight layer, first epoch
fit time: pretraining + fine-tuning, mean per fit"""


def summarize(records):
    """One row per configuration (in run order): means over its seeds.

    Examples
    --------
    >>> from skdbn.compare.report import summarize
    >>> record = {"init": "he", "pretrain": False, "diverged": False, "accuracy": 0.5,
    ...           "final_loss": 1.0, "first_layer_gradient_norm": 0.1,
    ...           "fit_time": 1.0, "pretraining_time": 0.0}
    >>> row, = summarize([record, {**record, "accuracy": 0.7}])
    >>> row["configuration"], row["n_seeds"], round(row["test_accuracy_mean"], 3)
    ('he', 2, 0.6)
    """
    groups = {}
    for record in records:
        groups.setdefault((record["init"], record["pretrain"]), []).append(record)
    return [_row(init, pretrain, group) for (init, pretrain), group in groups.items()]


def _row(init, pretrain, group):
    ok = [r for r in group if not r["diverged"]]
    accuracies = [r["accuracy"] for r in ok]
    std = float(np.std(accuracies, ddof=1)) if len(accuracies) > 1 else (0.0 if ok else None)

    def mean(key, records=ok):
        values = [r[key] for r in records if r[key] is not None]
        return float(np.mean(values)) if values else None

    return {
        "configuration": label(init, pretrain),
        "init": init,
        "pretrain": pretrain,
        "n_seeds": len(group),
        "n_diverged": len(group) - len(ok),
        "test_accuracy_mean": mean("accuracy"),
        "test_accuracy_std": std,
        "test_accuracies": [r["accuracy"] for r in group],
        "final_training_loss": mean("final_loss"),
        "first_layer_gradient_norm_epoch1": mean("first_layer_gradient_norm", group),
        "fit_time_s": mean("fit_time", group),
        "pretraining_time_s": mean("pretraining_time", group),
    }


def format_table(rows):
    """The rows of :func:`summarize` as an aligned text table."""
    lines = [
        f"{'init':<7} {'pretraining':<11}  {'seeds':>5}  {'test accuracy':<14}  "
        f"{'final loss':>10}  {'grad norm L1 ep1':>16}  {'fit time':>8}"
    ]
    for row in rows:
        accuracy = (
            "diverged"
            if row["test_accuracy_mean"] is None
            else (f"{row['test_accuracy_mean']:.3f} ± {row['test_accuracy_std']:.3f}")
        )
        note = f"  ({row['n_diverged']} diverged)" if row["n_diverged"] else ""
        lines.append(
            f"{row['init']:<7} {'yes' if row['pretrain'] else 'no':<11}  "
            f"{row['n_seeds']:>5}  "
            f"{accuracy:<14}  {_fmt(row['final_training_loss'], '.3f'):>10}  "
            f"{_fmt(row['first_layer_gradient_norm_epoch1'], '.2e'):>16}  "
            f"{_fmt(row['fit_time_s'], '.1f') + ' s':>8}{note}"
        )
    return "\n".join(lines)


def _fmt(value, spec):
    return "-" if value is None else format(value, spec)


def header(dataset, settings):
    """What was compared and how: the lines above the table."""
    d, s = dataset, settings
    test = round(100 * s.test_size)
    hidden = "-".join(str(n) for n in s.hidden_layer_sizes)
    nesterov = "Nesterov momentum" if s.nesterovs_momentum else "momentum"
    stats = "sampled hidden states" if s.rbm_hidden_stats == "samples" else "hidden probabilities"
    return (
        f"skdbn compare: {d['name']}, {d['n_samples']} samples x {d['n_features']} "
        f"features, {d['n_classes']} classes\n"
        f"{_plural(s.seeds, 'seed')}, each with its own stratified {100 - test}/{test} "
        f"train/test split; network {hidden} {s.activation} + softmax\n"
        f"{_labels_line(s)}"
        f"fine-tuning: {s.solver.upper()} lr {s.learning_rate:g}, {nesterov} {s.momentum}, "
        f"batch {s.batch_size}, {_plural(s.epochs, 'epoch')}; random init N(0, "
        f"{s.init_scale:g}^2)\n"
        f"pretraining: CD-1 RBMs with {stats}, "
        f"{_plural(s.pretrain_epochs, 'epoch')} per layer\n\n"
    )


def _labels_line(settings):
    """With ``--labels``: how many training rows keep their label."""
    if settings.labels is None:
        return ""
    return (f"labels: {settings.labels} training rows per split keep theirs (stratified); "
            "the others are unlabelled: pretrained on, not fine-tuned on\n")


def _plural(n, word):
    return f"{n} {word}{'' if n == 1 else 's'}"


def text(dataset, settings, records, figure):
    """The whole text report: header, table, footer and the figure's path."""
    rows = summarize(records)
    lines = [header(dataset, settings) + format_table(rows)]
    lines.append(FOOTER if rows else "(no configuration finished)")
    lines.append("")
    if figure is not None:
        lines.append(f"figure: {figure}")
    return "\n".join(lines)


def document(dataset, settings, records, figure, interrupted, seconds):
    """The JSON report: strict JSON (NaN and infinities become null)."""
    content = {
        "dataset": dataset,
        "settings": settings.experiment(),
        "results": summarize(records),
        "figure": None if figure is None else str(figure),
        "interrupted": interrupted,
        "wall_time_s": seconds,
    }
    return json.dumps(_finite(content), indent=2, ensure_ascii=False)


def _finite(value):
    """``value`` with NaN and infinities replaced by None, for strict JSON."""
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value
