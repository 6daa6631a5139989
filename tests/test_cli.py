"""Tests of the ``skdbn compare`` command, through its real entry points."""

import csv
import io
import json
import subprocess
import sys

import numpy as np
import pytest
from sklearn.datasets import load_digits

from skdbn import DBNClassifier, DivergenceError
from skdbn.compare import Settings, load_data, main, run_comparison
from skdbn.compare.cli import _ParserExit, build_parser
from skdbn.compare.data import hide_labels
from skdbn.compare.plot import _pick_filters
from skdbn.compare.progress import Progress

# A run of eight configurations x one seed that takes about a second.
TINY = [
    "compare",
    "--hidden", "8",
    "--epochs", "2",
    "--pretrain-epochs", "1",
    "--seeds", "1",
    "--max-samples", "200",
]  # fmt: skip
CONFIGURATIONS = [
    f"{init}{' + pretraining' if pretrain else ''}"
    for init in ("zero", "random", "xavier", "he")
    for pretrain in (False, True)
]
ROW_FIELDS = {
    "configuration",
    "init",
    "pretrain",
    "n_seeds",
    "n_diverged",
    "test_accuracy_mean",
    "test_accuracy_std",
    "test_accuracies",
    "final_training_loss",
    "first_layer_gradient_norm_epoch1",
    "fit_time_s",
    "pretraining_time_s",
    "chance_loss",
    "n_not_converged",
    "not_converged",
}


def run(capsys, *args):
    """``main(args)``: its exit code, stdout and stderr."""
    status = main(list(args))
    out, err = capsys.readouterr()
    return status, out, err


def assert_one_line_error(status, out, err):
    assert status == 2
    assert out == ""
    assert len(err.strip().splitlines()) == 1, err
    assert "error" in err and "Traceback" not in err


# ---------------------------------------------------------------- a run


def test_table_progress_and_figure(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    status, out, err = run(capsys, *TINY)
    assert status == 0
    lines = out.splitlines()
    assert lines[0] == "skdbn compare: digits, 200 samples x 64 features, 10 classes"
    assert "sampled hidden states" in out
    header = next(i for i, line in enumerate(lines) if line.startswith("init "))
    for name in ("test accuracy", "final loss", "grad norm L1 ep1", "fit time"):
        assert name in lines[header]
    rows = lines[header + 1 : header + 9]
    assert [row.split()[:2] for row in rows] == [
        [init, pretrain]
        for init in ("zero", "random", "xavier", "he")
        for pretrain in ("no", "yes")
    ]
    # Two epochs train nothing to the end: every row says so.
    assert all(" ± " in row and " s  (not converged: 1 " in row for row in rows)
    assert "not converged: the final loss is above 90% of the chance level" in out
    figure = tmp_path / "skdbn-compare" / "compare_digits.png"
    assert f"figure: {figure.relative_to(tmp_path)}" in out
    assert figure.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # stderr is not a terminal here: plain progress lines, one per fit.
    assert "[8/8] he + pretraining, seed 1/1, epoch 2/2: test accuracy" in err
    assert "\r" not in err


def test_json_output(capsys):
    status, out, err = run(capsys, *TINY, "--json", "--no-plot")
    assert status == 0
    document = json.loads(out)  # stdout holds the JSON document and nothing else
    assert document["dataset"] == {
        "name": "digits",
        "n_samples": 200,
        "n_features": 64,
        "n_classes": 10,
    }
    assert document["settings"]["hidden_layer_sizes"] == [8]
    assert document["settings"]["rbm_hidden_stats"] == "samples"
    assert document["interrupted"] is False
    assert document["figure"] is None
    assert document["budget"]["epochs"] == 2 and document["budget"]["batches"] == 5
    results = document["results"]
    assert [r["configuration"] for r in results] == CONFIGURATIONS
    for r in results:
        assert set(r) == ROW_FIELDS
        assert r["n_seeds"] == 1 and r["n_diverged"] == 0
        assert 0 <= r["test_accuracy_mean"] <= 1 and r["test_accuracy_std"] == 0
        assert (
            r["final_training_loss"] > 0 and r["first_layer_gradient_norm_epoch1"] >= 0
        )
        assert r["fit_time_s"] > 0
        assert r["pretraining_time_s"] >= 0
        assert r["chance_loss"] == pytest.approx(np.log(10), rel=0.01)
        assert r["n_not_converged"] == sum(r["not_converged"].values()) == 1
    assert "[8/8]" in err  # progress goes to stderr


def test_quiet_no_plot(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    status, out, err = run(capsys, *TINY, "--quiet", "--no-plot")
    assert status == 0 and err == ""
    assert "figure" not in out
    assert not (tmp_path / "skdbn-compare").exists()


def test_without_matplotlib(capsys, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib fails
    status, out, err = run(capsys, *TINY, "--quiet", "--output", str(tmp_path / "f"))
    assert status == 0
    assert 'pip install "skdbn[plot]"' in err
    assert "he      yes" in out and "figure" not in out
    assert not (tmp_path / "f").exists()


def test_python_m_skdbn(tmp_path):
    command = [sys.executable, "-m", "skdbn", *TINY, "--json", "--no-plot", "--quiet"]
    done = subprocess.run(command, capture_output=True, text=True, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    assert len(json.loads(done.stdout)["results"]) == 8


def test_help(capsys):
    status, out, _ = run(capsys, "compare", "--help")
    assert status == 0
    for text in ("--max-samples", 'hidden_stats="samples"', "skdbn[plot]", "0-255"):
        assert text in out


# ------------------------------------------------------------ interrupt


def interrupt_after(monkeypatch, n_calls):
    """Make the ``n_calls``-th ``DBNClassifier.partial_fit`` raise Ctrl-C."""
    real = DBNClassifier.partial_fit
    calls = []

    def partial_fit(self, *args, **kwargs):
        calls.append(1)
        if len(calls) == n_calls:
            raise KeyboardInterrupt
        return real(self, *args, **kwargs)

    monkeypatch.setattr(DBNClassifier, "partial_fit", partial_fit)


def test_ctrl_c_prints_the_finished_rows(capsys, monkeypatch):
    # Two seeds x two epochs: the 7th call is the second seed of the second
    # configuration, so "zero" is complete and "zero + pretraining" has 1 seed.
    interrupt_after(monkeypatch, 7)
    status, out, err = run(capsys, *TINY, "--seeds", "2")
    assert status == 130
    assert "interrupted after 3 of 16 fits" in err and "Traceback" not in err
    rows = [line.split()[:3] for line in out.splitlines() if line[:4] == "zero"]
    assert rows == [["zero", "no", "2"], ["zero", "yes", "1"]]
    assert "\nrandom " not in out


def test_ctrl_c_json(capsys, monkeypatch):
    interrupt_after(monkeypatch, 3)
    status, out, _ = run(capsys, *TINY, "--json", "--no-plot")
    assert status == 130
    document = json.loads(out)
    assert document["interrupted"] is True
    assert [r["configuration"] for r in document["results"]] == ["zero"]


# ----------------------------------------------------------------- data


def digits_images(n=200):
    """The first ``n`` digits as uint8 8x8 images with values 0-255."""
    X, y = load_digits(return_X_y=True)
    return (X[:n] * 255 / 16).round().astype(np.uint8).reshape(n, 8, 8), y[:n]


def test_npz_pixels_are_scaled(capsys, tmp_path):
    images, y = digits_images()
    path = tmp_path / "pixels.npz"
    np.savez(path, X=images, y=y)
    X, labels, name = load_data(path)
    assert name == "pixels" and X.shape == (200, 64) and X.dtype == np.float32
    assert X.min() == 0 and X.max() == 1
    np.testing.assert_array_equal(labels, y)
    status, out, _ = run(capsys, *TINY, "--data", str(path), "--no-plot", "--quiet")
    assert status == 0 and "pixels, 200 samples x 64 features" in out


def write_csv(path, header, rows):
    with open(path, "w", newline="") as file:
        csv.writer(file).writerows([header, *rows])
    return path


def test_csv_with_named_target(capsys, tmp_path):
    X, y = load_digits(return_X_y=True)
    names = [f"p{i}" for i in range(64)]
    rows = [
        [f"digit-{label}", *map(int, x)]
        for x, label in zip(X[:200], y[:200], strict=True)
    ]
    path = write_csv(tmp_path / "digits.csv", ["label", *names], rows)
    X_csv, labels, _ = load_data(path, target="label")
    np.testing.assert_allclose(X_csv, X[:200] / 16, rtol=1e-6)  # 0-16 scaled by 16
    assert labels[0] == f"digit-{y[0]}"
    status, out, _ = run(
        capsys,
        *TINY,
        "--data",
        str(path),
        "--target",
        "label",
        "--json",
        "--no-plot",
        "--quiet",
    )
    assert status == 0 and len(json.loads(out)["results"]) == 8


def test_real_valued_features_are_min_max_scaled_per_split():
    X, y = load_digits(return_X_y=True)
    X = (X[:150] - 8.0) * 3.5  # negative and > 1: needs scaling for the RBMs
    records = list(
        run_comparison(
            X,
            y[:150],
            Settings(hidden_layer_sizes=(6,), epochs=1, pretrain_epochs=1, seeds=1),
        )
    )
    assert len(records) == 8
    assert all(not r["diverged"] and 0 <= r["accuracy"] <= 1 for r in records)


def test_the_run_prints_nothing_and_keeps_every_pretrained_fits_filters(capsys):
    X, y = load_digits(return_X_y=True)
    settings = Settings(hidden_layer_sizes=(5,), epochs=1, pretrain_epochs=1, seeds=2)
    records = list(run_comparison(X[:150] / 16, y[:150], settings))
    assert capsys.readouterr() == ("", "")
    pretrained = [r for r in records if r["pretrain"]]
    assert sorted({r["seed"] for r in pretrained}) == [0, 1]
    assert all(r["filters"].shape == (5, 64) for r in pretrained)
    assert all(r["filters"] is None for r in records if not r["pretrain"])


def test_settings_are_the_one_source_of_the_defaults(capsys):
    settings = Settings(epochs=7, hidden_layer_sizes=(9, 4), init_scale=0.3)
    parser = build_parser(settings)
    args = parser.parse_args(["compare"])
    assert (args.epochs, args.hidden_layer_sizes, args.init_scale) == (7, (9, 4), 0.3)
    with pytest.raises(_ParserExit):
        parser.parse_args(["compare", "--help"])
    text = capsys.readouterr().out
    assert "(default: 7)" in text and "(default: 9 4)" in text
    clf = settings.classifier("random", True, seed=3, budget=settings.budget(100))
    assert (clf.max_iter, clf.hidden_layer_sizes, clf.init_scale) == (7, (9, 4), 0.3)
    assert clf.rbm.hidden_stats == settings.rbm_hidden_stats


def fail_fine_tuning(monkeypatch, error):
    """Make every ``DBNClassifier.partial_fit`` raise ``error``."""

    def partial_fit(self, *args, **kwargs):
        raise error

    monkeypatch.setattr(DBNClassifier, "partial_fit", partial_fit)


def test_a_divergence_error_becomes_a_row(capsys, monkeypatch):
    fail_fine_tuning(monkeypatch, DivergenceError("the loss is nan"))
    status, out, _ = run(capsys, *TINY, "--quiet", "--no-plot")
    assert status == 0 and out.count("(1 diverged)") == 8


def test_other_value_errors_are_not_taken_for_divergence(monkeypatch):
    # The type decides, not the words: this message says "diverged".
    fail_fine_tuning(monkeypatch, ValueError("diverged on purpose"))
    X, y = load_digits(return_X_y=True)
    with pytest.raises(ValueError, match="on purpose"):
        next(run_comparison(X[:100] / 16, y[:100], Settings(seeds=1)))


def test_matplotlib_is_imported_only_to_draw(tmp_path):
    code = (
        "import sys\n"
        "from skdbn.compare import main\n"
        f"main({[*TINY, '--no-plot', '--quiet']!r})\n"
        "assert 'matplotlib' not in sys.modules, 'matplotlib imported'\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr


def test_divergence_is_a_row_not_a_crash(capsys):
    status, out, _ = run(
        capsys, *TINY, "--learning-rate", "1e30", "--quiet", "--no-plot"
    )
    assert status == 0
    assert out.count("diverged)") == 8


# --------------------------------------------------------------- errors


@pytest.mark.parametrize(
    "args, message",
    [
        ([], "required: COMMAND"),
        (["frobnicate"], "invalid choice"),
        (["compare", "--bogus"], "unrecognized arguments"),
        (["compare", "--hidden", "0"], "--hidden: expected an integer >= 1"),
        (["compare", "--hidden"], "--hidden: expected at least one argument"),
        (["compare", "--epochs", "many"], "--epochs: expected an integer"),
        (["compare", "--seeds", "0"], "--seeds"),
        (["compare", "--test-size", "1.5"], "--test-size: expected a number > 0"),
        (["compare", "--test-size", "nan"], "--test-size"),
        (["compare", "--learning-rate", "-1"], "--learning-rate"),
        (["compare", "--target", "label"], "--target needs a .csv file"),
        (["compare", "--max-samples", "5"], "--max-samples 5 leaves class"),
        (["compare", "--max-samples", "30"], "cannot split 30 samples of 10 classes"),
        (["compare", "--test-size", "0.001"], "cannot split 1797 samples"),
    ],
)
def test_bad_arguments(capsys, args, message):
    status, out, err = run(capsys, *args)
    assert_one_line_error(status, out, err)
    assert message in err


def bad_files(tmp_path):
    """Bad input files written to ``tmp_path``, each with its expected message."""
    X = np.arange(40.0).reshape(10, 4)
    y = np.repeat([0, 1], 5)
    (tmp_path / "text.npz").write_text("not a zip archive")
    (tmp_path / "data.txt").write_text("1,2,3\n")
    np.savez(tmp_path / "no_y.npz", X=X)
    np.savez(tmp_path / "mismatch.npz", X=X, y=y[:9])
    np.savez(tmp_path / "one_class.npz", X=X, y=np.zeros(10))
    np.savez(tmp_path / "nan.npz", X=np.where(X == 3, np.nan, X), y=y)
    np.savez(tmp_path / "vector.npz", X=np.arange(10.0), y=y)
    np.savez(tmp_path / "few.npz", X=X, y=np.array([0] * 9 + [1]))
    write_csv(tmp_path / "words.csv", ["a", "b", "y"], [[1, 2, 0], [3, "high", 1]])
    write_csv(tmp_path / "ragged.csv", ["a", "b", "y"], [[1, 2, 0], [3, 1]])
    write_csv(tmp_path / "header.csv", ["a", "b", "y"], [])
    return [
        ("missing.npz", "no such file"),
        ("data.txt", "expected an .npz or .csv file"),
        ("text.npz", "not an .npz file"),
        ("no_y.npz", "has no array y"),
        ("mismatch.npz", "y must have shape (10,)"),
        ("one_class.npz", "at least 2 classes"),
        ("nan.npz", "NaN"),
        ("vector.npz", "X must have shape (n_samples, n_features)"),
        ("few.npz", "class 1 has only 1 sample"),
        ("words.csv", "column 'b' holds the non-numeric value 'high'"),
        ("ragged.csv", "line 3 has 2 fields, the header 3"),
        ("header.csv", "a header line but no data rows"),
    ]


def test_bad_files(capsys, tmp_path):
    for name, message in bad_files(tmp_path):
        status, out, err = run(capsys, "compare", "--data", str(tmp_path / name))
        assert_one_line_error(status, out, err)
        assert message in err, (name, err)


def test_csv_without_the_target_column(capsys, tmp_path):
    path = write_csv(tmp_path / "t.csv", ["a", "b", "y"], [[1, 2, 0], [3, 4, 1]])
    status, out, err = run(capsys, "compare", "--data", str(path), "--target", "label")
    assert_one_line_error(status, out, err)
    assert "no column 'label' (columns: a, b, y)" in err


def test_error_in_a_real_process(tmp_path):
    command = [sys.executable, "-m", "skdbn", "compare", "--data", "missing.csv"]
    done = subprocess.run(command, capture_output=True, text=True, cwd=tmp_path)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr == "skdbn compare: error: missing.csv: no such file\n"


# ------------------------------------------------------------- progress


def test_progress_bar_on_a_terminal(monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")  # the bar is cut to the terminal's width
    stream = io.StringIO()
    progress = Progress(stream, n_fits=2, n_seeds=1, n_epochs=4, tty=True)
    progress.start(0, "xavier", True, 0)
    progress.epoch(2, 0.5)
    text = stream.getvalue()
    assert text.startswith("\r[") and "\n" not in text
    assert "25%" in text and "xavier + pretraining, seed 1/1, epoch 2/4" in text
    progress.close()
    assert stream.getvalue().endswith("\n")


def test_plain_progress_lines_are_throttled():
    stream = io.StringIO()
    progress = Progress(
        stream, n_fits=1, n_seeds=1, n_epochs=3, tty=False, interval=60
    )
    progress.start(0, "he", False, 0)
    for epoch in range(1, 4):
        progress.epoch(epoch, 0.1)
    assert stream.getvalue() == ""  # no line before `interval` seconds
    progress.finish(
        {"diverged": False, "accuracy": 0.5, "fit_time": 1.0, "loss_curve": [1, 2, 3]}
    )
    assert (
        stream.getvalue()
        == "[1/1] he, seed 1/1, epoch 3/3: test accuracy 0.500, 1.0 s\n"
    )


def test_filters_are_drawn_for_square_images_only():
    record = {"init": "he", "pretrain": True, "seed": 0, "filters": np.ones((5, 49))}
    W, source = _pick_filters([record])
    assert W.shape == (5, 49) and source == "he + pretraining, seed 0"
    assert _pick_filters([{**record, "filters": np.ones((5, 48))}]) is None
    assert _pick_filters([{**record, "pretrain": False, "filters": None}]) is None


# ----------------------------------------------------------- --labels


def test_labels_pretrain_on_every_training_row_and_fine_tune_on_n(capsys, monkeypatch):
    seen = []
    original = DBNClassifier.partial_fit

    def spy(self, X, y, **kwargs):
        seen.append((X.shape[0], int(np.sum(np.asarray(y) != -1)), self.unlabeled))
        return original(self, X, y, **kwargs)

    monkeypatch.setattr(DBNClassifier, "partial_fit", spy)
    status, out, _ = run(capsys, *TINY, "--labels", "30", "--quiet", "--no-plot")
    assert status == 0
    assert "labels: 30 training rows per split keep theirs" in out
    n_train = 150  # 200 samples, 25 % test
    epochs = 2
    # First call of each fit: every training row, 30 of them labelled; then
    # the 30 labelled rows only.
    assert seen == [(n_train, 30, -1), (30, 30, -1)] * 8
    assert len(seen) == 8 * epochs


def test_labels_are_stratified_and_the_same_for_every_configuration():
    X, y = load_digits(return_X_y=True)
    settings = Settings(hidden_layer_sizes=(8,), epochs=1, pretrain_epochs=1, seeds=2,
                        labels=40)
    partial = hide_labels(y[:300], 40, seed=0)
    kept = partial[partial != -1]
    assert kept.shape[0] == 40 and set(kept) == set(range(10))
    np.testing.assert_array_equal(partial, hide_labels(y[:300], 40, seed=0))
    assert settings.classifier("he", True, 0, settings.budget(225)).unlabeled == -1
    default = Settings()
    assert default.classifier("he", True, 0, default.budget(225)).unlabeled is None
    records = list(run_comparison(X[:300] / 16, y[:300], settings))
    assert len(records) == 16 and all(r["accuracy"] is not None for r in records)


def test_labels_json_and_errors(capsys):
    status, out, _ = run(capsys, *TINY, "--labels", "20", "--json", "--quiet", "--no-plot")
    assert status == 0 and json.loads(out)["settings"]["labels"] == 20
    for value, message in [("1", "--labels: expected an integer >= 2"),
                           ("5", "--labels 5 must be at least the number of classes (10)"),
                           ("150", "below the training rows of a split (150)")]:
        assert_one_line_error(*run(capsys, *TINY, "--labels", value))
        status, out, err = run(capsys, *TINY, "--labels", value)
        assert message in err, err


# ------------------------------------------------- budget and convergence


@pytest.mark.parametrize("n_train", [40, 133, 1347, 60000])
def test_the_automatic_budget_adapts_to_the_data_size(n_train):
    settings = Settings()
    budget = settings.budget(n_train)
    assert budget.batches == -(-n_train // settings.batch_size)
    assert budget.updates >= settings.min_updates
    assert budget.pretrain_updates >= settings.min_pretrain_updates
    assert budget.epochs >= settings.min_epochs
    assert budget.pretrain_epochs >= settings.min_pretrain_epochs
    # No more epochs than needed: one fewer would miss a minimum.
    assert budget.epochs == settings.min_epochs or (
        (budget.epochs - 1) * budget.batches < settings.min_updates
    )
    fixed = Settings(epochs=3, pretrain_epochs=2).budget(n_train)
    assert (fixed.epochs, fixed.pretrain_epochs) == (3, 2)
    # With --labels, fine-tuning counts the labelled rows, pretraining all of them.
    few = Settings(labels=20).budget(n_train)
    assert few.batches == 1 and few.pretrain_batches == budget.pretrain_batches


def test_convergence_verdicts():
    from skdbn.compare.run import chance_loss, convergence

    settings = Settings()
    chance = chance_loss(np.repeat([0, 1, 2], 10))
    assert chance == pytest.approx(np.log(3))
    assert chance_loss(np.array([0] * 95 + [1] * 5)) < 0.3 * np.log(2)  # unbalanced
    flat = [chance * (1 - 0.001 * k) for k in range(50)]
    assert convergence(flat, chance, settings) == "at chance level"
    falling = list(np.linspace(1.0, 0.2, 50))
    assert convergence(falling, chance, settings) == "still falling"
    # The same fall hidden in epoch-to-epoch noise still counts; noise alone does not.
    noise = 0.02 * (-1.0) ** np.arange(50)
    assert convergence(list(falling + noise), chance, settings) == "still falling"
    assert convergence(list(0.1 + noise), chance, settings) is None
    settled = list(0.05 + 0.5 * np.exp(-np.arange(50.0)))
    assert convergence(settled, chance, settings) is None


def test_unconverged_rows_are_marked_in_the_json(capsys):
    status, out, _ = run(capsys, *TINY, "--json", "--no-plot", "--quiet")
    assert status == 0
    for row in json.loads(out)["results"]:
        assert row["n_not_converged"] == 1
        assert set(row["not_converged"]) <= {"at chance level", "still falling"}
    status, out, _ = run(capsys, *TINY, "--epochs", "1", "--json", "--no-plot", "--quiet")
    assert {why for row in json.loads(out)["results"] for why in row["not_converged"]} <= {
        "at chance level", "too few epochs"
    }


def test_the_figure_marks_unconverged_configurations():
    from skdbn.compare.plot import _tagged

    records = [
        {"init": "he", "pretrain": True, "not_converged": why}
        for why in (None, "still falling", None)
    ]
    assert _tagged(records, "he", True) == "he + pretraining (not converged: 1/3)"
    assert _tagged(records[:1], "he", True) == "he + pretraining"


def test_the_header_states_every_setting_away_from_the_defaults(capsys):
    from skdbn import DBNClassifier, RBMTransformer

    status, out, _ = run(capsys, *TINY, "--batch-size", "16", "--quiet", "--no-plot")
    assert status == 0
    lines = out.split("\n\n")[0].splitlines()
    first = next(i for i, line in enumerate(lines) if line.startswith("not at their"))
    text = " ".join(line.strip() for line in lines[first:])
    code = text.removeprefix("not at their defaults: ").split(";")[0]
    # The header's code rebuilds the estimators of the run, all but the
    # parameters that vary by fit.
    built = eval(code, {"DBNClassifier": DBNClassifier, "RBMTransformer": RBMTransformer})
    settings = Settings(
        hidden_layer_sizes=(8,), epochs=2, pretrain_epochs=1, seeds=1, batch_size=16
    )
    used = settings.classifier("he", True, seed=0, budget=settings.budget(150))
    varying = {"init", "pretrain", "random_state", "rbm"}
    ours = {k: v for k, v in built.get_params(deep=False).items() if k not in varying}
    theirs = {k: v for k, v in used.get_params(deep=False).items() if k not in varying}
    assert ours == theirs and built.batch_size == 16
    assert built.rbm.get_params() == used.rbm.get_params()
