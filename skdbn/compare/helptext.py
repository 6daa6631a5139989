"""The prose of ``skdbn compare --help``, filled in from the settings."""

import dataclasses

DESCRIPTION = """\
Train a DBNClassifier for every init in zero, random, xavier and he, with RBM
pretraining off and on (8 configurations), over several seeds, and print a
table: test accuracy (mean ± standard deviation over the seeds), final
training loss, the first layer's gradient norm in the first epoch
(gradient_norms_[0, 0]) and the fit time (pretraining + fine-tuning, mean
per fit). A PNG figure shows the training loss curves (mean and min-max band
over the seeds), the gradient norm of each layer over the epochs (log scale)
and, when the inputs are square images, the first pretrained RBM's filters."""

_EPILOG = """\
data:
  Without --data: scikit-learn's digits (1797 8x8 images), scaled to [0, 1]
  by /16. --data takes an .npz file with arrays X (n_samples, n_features;
  images are flattened) and y, or a .csv file with a header line and one
  label column (--target, default the last column). Integer-valued data
  with values above 1, such as 0-255 pixels, are divided by their maximum;
  data already in [0, 1] are used as they are; any other real-valued data
  are min-max scaled to [0, 1] on each training split.

method:
  Each seed s draws its own stratified train/test split (random_state=s),
  shared by the 8 configurations so that they are compared on the same
  data, and seeds the network (DBNClassifier(random_state=s)); the spread
  therefore covers both the split and the initialisation.
  Network: {activation} hidden layers and a softmax output, fine-tuned by SGD
  with {nesterov} {momentum} (the optimiser of the 2006-2010 experiments;
  Adam's per-weight step sizes would partly hide a vanishing gradient),
  float32, one BLAS thread.
  Budget: fine-tuning runs at least {min_epochs} epochs and {min_updates}
  mini-batch updates, pretraining at least {min_pretrain_epochs} epochs and
  {min_pretrain_updates} updates per RBM, so small data get more epochs; the
  header states the budget. --epochs and --pretrain-epochs fix the epochs
  instead. There is no early stopping: a fit on a plateau may leave it
  later, which is what init="random" shows.
  Pretraining: one CD-1 RBM per hidden layer, learning rate {rbm_rate}, batch {rbm_batch},
  with sampled hidden states in the data statistics
  (RBMTransformer(hidden_stats="{rbm_hidden_stats}")): the sampling noise is what
  breaks the symmetry of init="zero"; with hidden probabilities all the
  hidden units of a zero-initialised RBM would stay identical.
  init="random" draws N(0, init_scale^2) weights; the default {init_scale} is the
  classic "small random weights": through three logistic layers the signal
  and the gradient shrink, and whether a run escapes that plateau within the
  epochs depends on the seed.

few labels:
  --labels N keeps the labels of N rows of each training split (stratified,
  the same rows for every configuration) and passes the others with label
  -1 (DBNClassifier(unlabeled=-1)): the RBMs pretrain on every training row,
  the fine-tuning learns from the N labelled ones only. This is the regime
  where pretraining matters most. The test rows keep their labels.

not converged:
  A row says how many of its fits did not converge: the final loss is still
  above {chance_fraction:.0%} of the chance level (the loss of predicting the class
  frequencies, log(n_classes) for balanced classes), or the mean loss fell
  by more than {falling_fraction:.0%} of that level from one tenth of the epochs to the
  last. The JSON rows count them (n_not_converged, not_converged) and the
  figure marks them: such a row measures the budget, not the method.

output:
  The table goes to stdout (with --json: one JSON document and nothing
  else); progress goes to stderr (a progress bar on a terminal, plain lines
  otherwise). Ctrl-C stops and prints the rows finished so far (exit code
  130). The figure needs matplotlib: pip install "skdbn[plot]".

examples:
  skdbn compare
  skdbn compare --seeds 3 --epochs 50 --json > results.json
  skdbn compare --data mnist_train.npz --max-samples 10000 --hidden 256 256
  skdbn compare --labels 100
"""


def epilog(settings):
    """The epilog of ``skdbn compare --help`` for these ``settings``."""
    rbm = settings.rbm()
    rate = rbm.learning_rate
    # RBMTransformer(learning_rate="auto") is 0.1 for data in [0, 1] (ours).
    rate = "0.1" if rate == "auto" else f"{rate:g}"
    return _EPILOG.format(
        **dataclasses.asdict(settings),
        nesterov="Nesterov momentum" if settings.nesterovs_momentum else "momentum",
        rbm_rate=rate,
        rbm_batch=rbm.batch_size,
    )
