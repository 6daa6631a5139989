"""The documentation builds with warnings as errors (``-W -n``), and its main pages exist.

The build runs the gallery examples, so this takes about half a minute. It
works on a copy of ``docs/`` in a temporary folder, so that the generated files
(``auto_examples/``, ``generated/``) never touch the checkout.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

for _module in (
    "sphinx", "numpydoc", "sphinx_gallery", "pydata_sphinx_theme", "matplotlib"
):
    pytest.importorskip(_module)

DOCS = Path(__file__).resolve().parent.parent / "docs"
GENERATED = ("_build", "auto_examples", "generated", "sg_execution_times.rst")
EXAMPLES = (
    "plot_rbm_features", "plot_init_pretrain_grid", "plot_rbm_samples", "plot_dbn_regression",
    "plot_gaussian_input", "plot_partial_fit_early_stopping", "plot_network_diagrams",
)
# Runs only with SKDBN_MNIST_DIR set (unset here): its page exists, without figures.
OPTIONAL_EXAMPLES = ("plot_mnist",)


@pytest.fixture(scope="module")
def html(tmp_path_factory):
    """Build the HTML docs offline with ``-W``; return the output folder."""
    if not (DOCS / "conf.py").exists():
        pytest.skip("no docs/ folder next to tests/ (installed package?)")
    root = tmp_path_factory.mktemp("docs")
    source = root / "source"
    shutil.copytree(DOCS, source, ignore=shutil.ignore_patterns(*GENERATED))
    out = root / "html"
    env = {**os.environ, "MPLBACKEND": "agg"}
    env["SKDBN_DOCS_ONLINE"] = "0"  # no network: intersphinx stays off
    env.pop("SKDBN_MNIST_DIR", None)  # the MNIST example skips itself
    command = [
        sys.executable, "-m", "sphinx", "-W", "-n", "--keep-going", "-b", "html",
        "-d", str(root / "doctrees"), str(source), str(out),
    ]
    result = subprocess.run(
        command, env=env, capture_output=True, text=True, timeout=900
    )
    assert result.returncode == 0, (
        f"sphinx failed (exit {result.returncode}):\n{result.stderr[-6000:]}"
        f"\n--- stdout ---\n{result.stdout[-3000:]}"
    )
    return out


@pytest.mark.parametrize(
    "page",
    [
        "index.html",
        "getting_started.html",
        "user_guide.html",
        "api.html",
        "changelog.html",
        "performance.html",
        "generated/skdbn.RBMTransformer.html",
        "generated/skdbn.DBNClassifier.html",
        "generated/skdbn.DBNRegressor.html",
        "architecture.html",
        "generated/skdbn.xavier_uniform.html",
        "generated/skdbn.he_normal.html",
        "generated/skdbn.zero.html",
        "generated/skdbn.random_normal.html",
        "auto_examples/index.html",
        *(f"auto_examples/{name}.html" for name in EXAMPLES + OPTIONAL_EXAMPLES),
    ],
)
def test_page_exists(html, page):
    assert (html / page).is_file()


def test_pages_show_the_figures(html):
    """The diagrams and the ``skdbn compare`` figure are on the pages that cite them."""
    guide = (html / "user_guide.html").read_text(encoding="utf-8")
    for n in (1, 2):
        assert f"sphx_glr_plot_network_diagrams_00{n}.png" in guide
    assert "compare_digits.png" in (html / "getting_started.html").read_text(encoding="utf-8")


def test_user_guide_has_the_sections_the_docstrings_link_to(html):
    text = (html / "user_guide.html").read_text(encoding="utf-8")
    assert 'id="rbm"' in text
    assert 'id="dbn"' in text


@pytest.mark.parametrize("name", EXAMPLES)
def test_examples_ran_and_drew_figures(html, name):
    # sphinx-gallery names the n-th figure of an example sphx_glr_<name>_00n.png
    assert list((html / "_images").glob(f"sphx_glr_{name}_0*.png"))


def test_api_page_links_every_public_name(html):
    import skdbn

    text = (html / "api.html").read_text(encoding="utf-8")
    documented = set(skdbn.__all__) - {"__version__", "INITIALIZERS"}
    for name in documented:
        assert f"generated/skdbn.{name}.html" in text, name


def _conf():
    """docs/conf.py as a module (it imports skdbn and sets BLAS threads)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("skdbn_docs_conf", DOCS / "conf.py")
    conf = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(conf)
    return conf


def test_offline_ignore_list_names_real_objects():
    """Every name that the offline build leaves unlinked exists in its package."""
    import importlib

    if not (DOCS / "conf.py").exists():
        pytest.skip("no docs/ folder next to tests/ (installed package?)")
    names = _conf().EXTERNAL_REFERENCES
    assert len(set(names)) == len(names)
    for name in names:
        module, _, attr = name.rpartition(".")
        try:
            obj = importlib.import_module(module)
        except ImportError:
            if importlib.util.find_spec(module.split(".")[0]) is None:
                continue  # an optional package (e.g. distributed) not installed here
            raise
        assert hasattr(obj, attr), name
