"""What ``skdbn compare`` prints: the header, the table and the JSON document."""

import json
import math
import textwrap

import numpy as np

from .run import label

FOOTER = """
test accuracy: mean ± std over the seeds; final loss: training cross-entropy, last epoch
grad norm L1 ep1: norm of the loss gradient of the first weight layer, first epoch
fit time: pretraining + fine-tuning, mean per fit"""

_NOT_CONVERGED = """\
not converged: the final loss is above {chance:.0%} of the chance level ({level:.3f}, the loss of
  predicting the class frequencies), or its mean fell by more than {falling:.0%} of that level
  from one tenth of the epochs to the last; more epochs (--epochs) may change such a row"""


def summarize(records):
    """One row per configuration (in run order): means over its seeds.

    Examples
    --------
    >>> from skdbn.compare.report import summarize
    >>> record = {"init": "he", "pretrain": False, "diverged": False, "accuracy": 0.5,
    ...           "final_loss": 1.0, "first_layer_gradient_norm": 0.1,
    ...           "fit_time": 1.0, "pretraining_time": 0.0, "chance_loss": 0.69,
    ...           "not_converged": None}
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
        "chance_loss": mean("chance_loss", group),
        "n_not_converged": sum(r["not_converged"] is not None for r in group),
        "not_converged": not_converged(group),
    }


def not_converged(records):
    """How many of ``records`` did not converge, by reason (in a stable order)."""
    reasons = [r["not_converged"] for r in records]
    order = ("at chance level", "still falling", "too few epochs")
    return {why: reasons.count(why) for why in order if why in reasons}


def _note(row):
    """The remark after a row: diverged and unconverged fits."""
    parts = [f"{row['n_diverged']} diverged"] if row["n_diverged"] else []
    if row["n_not_converged"]:
        counts = ", ".join(f"{n} {why}" for why, n in row["not_converged"].items())
        parts.append(f"not converged: {counts}")
    return f"  ({'; '.join(parts)})" if parts else ""


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
        note = _note(row)
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


def header(dataset, settings, budget):
    """What was compared and how: the lines above the table.

    The last lines give, as code, every estimator parameter that differs
    from its default, read from the estimators themselves.
    """
    d, s, b = dataset, settings, budget
    test = round(100 * s.test_size)
    hidden = "-".join(str(n) for n in s.hidden_layer_sizes)
    nesterov = "Nesterov momentum" if s.nesterovs_momentum else "momentum"
    stats = "sampled hidden states" if s.rbm_hidden_stats == "samples" else "hidden probabilities"
    fine_tuning = "--epochs" if s.epochs else _auto(s.min_epochs, s.min_updates)
    pretraining = (
        "--pretrain-epochs"
        if s.pretrain_epochs
        else _auto(s.min_pretrain_epochs, s.min_pretrain_updates)
    )
    lines = [
        f"skdbn compare: {d['name']}, {d['n_samples']} samples x {d['n_features']} "
        f"features, {d['n_classes']} classes",
        f"{_plural(s.seeds, 'seed')}, each with its own stratified {100 - test}/{test} "
        f"train/test split; network {hidden} {s.activation} + softmax",
        *_labels_lines(s),
        f"fine-tuning: {s.solver.upper()} lr {s.learning_rate:g}, {nesterov} {s.momentum}, "
        f"batch {s.batch_size}; random init N(0, {s.init_scale:g}^2)",
        "  " + _budget(b.epochs, b.batches, "fit", fine_tuning),
        f"pretraining: CD-1 RBMs with {stats}, batch {s.rbm().batch_size}",
        "  " + _budget(b.pretrain_epochs, b.pretrain_batches, "layer", pretraining),
        *textwrap.wrap(_estimators(s.non_defaults(b)), 100, subsequent_indent="  "),
    ]
    return "\n".join(lines) + "\n\n"


def _auto(min_epochs, min_updates):
    return f"auto: at least {min_epochs} epochs and {min_updates} updates"


def _budget(epochs, batches, per, rule):
    """A phase's budget and where it comes from (``rule``), on one line."""
    return (
        f"{_plural(epochs, 'epoch')} x {_plural(batches, 'batch', 'batches')} = "
        f"{_plural(epochs * batches, 'update')} per {per} ({rule})"
    )


def _labels_lines(settings):
    """With ``--labels``: how many training rows keep their label (a list of lines)."""
    if settings.labels is None:
        return []
    return [f"labels: {settings.labels} training rows per split keep theirs (stratified); "
            "the others are unlabelled: pretrained on, not fine-tuned on"]


def _estimators(changed):
    """The estimators' parameters that are not at their defaults, as code."""

    def call(name, params):
        return f"{name}({', '.join(f'{k}={v!r}' for k, v in params.items())})"

    dbn = dict(changed["DBNClassifier"])
    dbn["rbm"] = _Code(call("RBMTransformer", changed["RBMTransformer"]))
    return (
        f"not at their defaults: {call('DBNClassifier', dbn)}; init, pretrain and "
        "random_state (the seed) vary by fit, one partial_fit call per epoch"
    )


class _Code(str):
    """A string shown as it is by ``repr`` (a piece of code)."""

    def __repr__(self):
        return str(self)


def _plural(n, word, plural=None):
    return f"{n} {word if n == 1 else plural or word + 's'}"


def text(dataset, settings, budget, records, figure):
    """The whole text report: header, table, footer and the figure's path."""
    rows = summarize(records)
    lines = [header(dataset, settings, budget) + format_table(rows)]
    lines.append(FOOTER if rows else "(no configuration finished)")
    if any(row["n_not_converged"] for row in rows):
        level = np.mean([row["chance_loss"] for row in rows])
        fractions = {"chance": settings.chance_fraction, "falling": settings.falling_fraction}
        lines.append(_NOT_CONVERGED.format(level=level, **fractions))
    lines.append("")
    if figure is not None:
        lines.append(f"figure: {figure}")
    return "\n".join(lines)


def document(dataset, settings, budget, records, figure, interrupted, seconds):
    """The JSON report: strict JSON (NaN and infinities become null)."""
    content = {
        "dataset": dataset,
        "settings": settings.experiment(),
        "budget": budget.as_dict(),
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
