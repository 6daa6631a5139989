"""Sphinx configuration of the skdbn documentation.

Build it with (from the repository root)::

    python -m sphinx -W -n --keep-going -b html docs docs/_build/html

``-n`` (nitpicky) makes every unresolved cross-reference a warning, hence an
error under ``-W``. References to numpy, scipy, scikit-learn, Python,
matplotlib and dask resolve through intersphinx, which downloads their
``objects.inv`` inventories. ``SKDBN_DOCS_ONLINE`` chooses: ``1`` always
fetches them (the build fails without network), ``0`` never does, unset
fetches them when their host answers within a few seconds. Offline, the
references in ``EXTERNAL_REFERENCES`` below are rendered as plain code
without a link (``nitpick_ignore``); any other unresolved reference still
fails the build. ``tests/test_docs.py`` builds offline and checks that every
name of that list exists.
"""

import os
import re
import socket
from datetime import date

from docutils.utils import get_source_line
from threadpoolctl import threadpool_limits

import skdbn

# The gallery's examples are tiny, and on a busy 2-core machine a
# multi-threaded BLAS spends its time waiting for cores: a 0.1 s
# LogisticRegression fit on the digits took 10 s. One BLAS thread keeps the
# build fast and its timing predictable; SKDBN_DOCS_THREADS overrides it.
threadpool_limits(limits=int(os.environ.get("SKDBN_DOCS_THREADS", "1")))

# -- Project ----------------------------------------------------------------

project = "skdbn"
author = "The skdbn developers"
copyright = f"{date.today().year}, {author}"
version = skdbn.__version__
release = skdbn.__version__

# -- General ----------------------------------------------------------------

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.intersphinx",
    "sphinx.ext.mathjax",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
]

templates_path = ["_templates"]
exclude_patterns = [
    "_build",
    "README.md",
    "examples/README.txt",
    "auto_examples/*.ipynb",
    "auto_examples/*.py",
    "auto_examples/*.zip",
    "auto_examples/*.md5",
    "auto_examples/*.codeobj.json",
]
root_doc = "index"
# ``x`` in single backquotes refers to a Python object (as in numpydoc).
default_role = "obj"
# Every ``.. autosummary::`` writes its stub pages into ``generated/``.
autosummary_generate = True

# -- numpydoc -----------------------------------------------------------------

# The class template of ``_templates/autosummary`` lists the methods itself.
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_attributes_as_param_list = True
numpydoc_xref_param_type = False
# Docstrings rendered here are checked by numpydoc: a failed check is a
# warning, hence an error under ``-W``. These are the checks that catch a real
# mismatch between a docstring and its signature, or a malformed section.
numpydoc_validation_checks = {
    "GL05",  # tabs instead of spaces
    "GL06",  # unknown section
    "GL07",  # sections in the wrong order
    "GL08",  # no docstring
    "PR01",  # a parameter of the signature is not documented
    "PR02",  # a documented parameter is not in the signature
    "PR03",  # parameters documented in the wrong order
    "PR06",  # type spelled as "integer"/"boolean"/"string"
    "PR10",  # "name: type" without a space before the colon
    "SS01",  # no summary
}
# Private helpers and what scikit-learn's base classes contribute are not ours.
numpydoc_validation_exclude = {
    r"\._",
    r"\.set_output$",
    r"\.set_params$",
    r"\.get_params$",
    r"\.get_metadata_routing$",
    r"\.set_.*_request$",
    r"\.fit_transform$",
    r"\.get_feature_names_out$",
    r"\.score$",
}

# -- intersphinx and nitpicky references -----------------------------------

nitpicky = True

_INVENTORIES = {
    "python": ("https://docs.python.org/3", None),
    "numpy": ("https://numpy.org/doc/stable/", None),
    "scipy": ("https://docs.scipy.org/doc/scipy/", None),
    "sklearn": ("https://scikit-learn.org/stable/", None),
    "matplotlib": ("https://matplotlib.org/stable/", None),
    "distributed": ("https://distributed.dask.org/en/stable/", None),
}

# The one list of the other projects' names that the docs cross-reference,
# for the offline build. Add a name here when the docs start to cite it (an
# offline ``-n`` build names what is missing); tests/test_docs.py imports each
# one, so a misspelt name cannot hide here.
EXTERNAL_REFERENCES = [
    "distributed.Client",
    "numpy.random.Generator",
    "sklearn.compose.TransformedTargetRegressor",
    "sklearn.linear_model.LogisticRegression",
    "sklearn.mixture.GaussianMixture",
    "sklearn.model_selection.GridSearchCV",
    "sklearn.model_selection.cross_val_score",
    "sklearn.model_selection.StratifiedKFold",
    "sklearn.neural_network.BernoulliRBM",
    "sklearn.neural_network.MLPClassifier",
    "sklearn.neural_network.MLPRegressor",
    "sklearn.pipeline.Pipeline",
    "sklearn.preprocessing.MinMaxScaler",
    "sklearn.preprocessing.StandardScaler",
    "sklearn.semi_supervised.LabelSpreading",
    "sklearn.semi_supervised.SelfTrainingClassifier",
]


def _online():
    """Whether to fetch the inventories: SKDBN_DOCS_ONLINE, or can we reach one."""
    setting = os.environ.get("SKDBN_DOCS_ONLINE", "")
    if setting in ("0", "1"):
        return setting == "1"
    try:
        socket.create_connection(("scikit-learn.org", 443), timeout=3).close()
    except OSError:
        return False
    return True


intersphinx_mapping = {}
nitpick_ignore = []
if _online():
    intersphinx_mapping = _INVENTORIES
else:
    # numpydoc renders a "See Also" entry as py:obj, the same name in text as
    # py:class or py:func: ignore every role for each listed name.
    nitpick_ignore = [
        (role, name)
        for name in EXTERNAL_REFERENCES
        for role in ("py:obj", "py:class", "py:func", "py:meth", "py:attr")
    ]
intersphinx_timeout = 10

# -- sphinx-gallery -------------------------------------------------------

sphinx_gallery_conf = {
    "examples_dirs": "examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    "ignore_pattern": r"__init__\.py",
    "within_subsection_order": "FileNameSortKey",
    # Example pages link back to the API pages, and each API page lists the
    # examples that use the object (``generated/<name>.examples``).
    "doc_module": ("skdbn",),
    "backreferences_dir": "generated",
    "reference_url": {"skdbn": None},
    "download_all_examples": False,
    "remove_config_comments": True,
    "matplotlib_animations": False,
    "image_scrapers": ("matplotlib",),
    # A failing example fails the build.
    "abort_on_example_error": True,
    "only_warn_on_example_error": False,
    "min_reported_time": 1,
    "show_memory": False,
    "plot_gallery": "True",
}

# -- HTML -----------------------------------------------------------------

html_theme = "pydata_sphinx_theme"
html_title = f"skdbn {release}"
html_static_path = ["_static"]
html_show_sourcelink = False
html_theme_options = {
    "navbar_align": "left",
    "show_toc_level": 2,
    "secondary_sidebar_items": ["page-toc"],
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version"],
}
html_sidebars = {"**": ["sidebar-nav-bs"], "index": []}


# -- Inherited scikit-learn docstrings --------------------------------------


def _unlink_sklearn_internal_refs(app, env, node, contnode):
    """Render unresolved references in docstrings inherited from scikit-learn as text.

    The API pages list methods such as ``set_output``, ``score`` and
    ``set_fit_request`` that our estimators inherit from scikit-learn; their
    docstrings point to labels of scikit-learn's own documentation
    (``metadata_routing``, glossary terms...). Online, intersphinx resolves
    them first; offline they become plain text instead of failing the build.
    Any unresolved reference in our own text still fails it.
    """
    source = get_source_line(node)[0] or ""
    # The summary tables of the class pages repeat each method's first line
    # ("<autosummary>"); a broken reference in our own summary still fails
    # the build where the full docstring is rendered.
    if "docstring of sklearn." in source or source.endswith("<autosummary>"):
        return contnode
    return None


# A name ending in "_" is a hyperlink reference in reStructuredText, so a type
# such as ``ndarray of shape (n_iter_, n_layers_ - 1)`` would be an error.
_TYPE_LINE = re.compile(r"^(\s*[*\w][\w, *]* : )(.+)$")
_TRAILING_UNDERSCORE = re.compile(r"\b([A-Za-z]\w*?)_(?=\W|$)")


def _escape_names_in_types(app, what, name, obj, options, lines):
    """Escape the final ``_`` of names like ``n_iter_`` in ``name : type`` lines."""
    for i, line in enumerate(lines):
        match = _TYPE_LINE.match(line)
        if match and "`" not in match.group(2):
            escaped = _TRAILING_UNDERSCORE.sub(r"\1\\_", match.group(2))
            lines[i] = match.group(1) + escaped


def setup(app):
    # After intersphinx (priority 500), so that online builds still link.
    app.connect("missing-reference", _unlink_sklearn_internal_refs, priority=900)
    # Before numpydoc (priority 500) turns the sections into reST.
    app.connect("autodoc-process-docstring", _escape_names_in_types, priority=100)
