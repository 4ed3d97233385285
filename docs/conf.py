"""Sphinx configuration of the documentation site (``make docs``; built with ``-W`` in ``make test``).

Sphinx rather than MkDocs: MkDocs 1.x is no longer maintained (its owner moved to an
incompatible 2.0), Material for MkDocs reaches its end of life in May 2027, and its
successor Zensical (0.1) does not yet run the plugins a generated reference needs. Sphinx is
what Flask, Click and pytest document with; MyST lets the pages stay Markdown, sphinx-click
renders the command line from the commands themselves, autodoc the Python API from its
docstrings, sphinxcontrib-openapi the admin API from ``spec/admin.yml``, and the local
``reference_pages`` extension the settings and error tables from their declarations.
"""

from __future__ import annotations

import sys
import tomllib
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE / "_ext"), str(HERE.parent)]

PYPROJECT = tomllib.loads((HERE.parent / "pyproject.toml").read_text("utf-8"))

project = "stability-upscale-mock"
author = "The stability-upscale-mock contributors"
copyright = f"2026, {author}"
extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "sphinx.ext.extlinks",
    "sphinx_click",
    "sphinxcontrib.openapi",
    "reference_pages",
]
source_suffix = {".md": "markdown", ".rst": "restructuredtext"}
exclude_patterns = ["_build", "_ext", "**/README.md"]
myst_enable_extensions = ["colon_fence", "deflist"]
myst_heading_anchors = 3
html_theme = "furo"
html_title = "stability-upscale-mock"
html_static_path: list[str] = []
autodoc_member_order = "bysource"
# Quotes and ellipses, not dashes: "--bundle" in a command's help is an option, not an en dash.
smartquotes_action = "qe"
autodoc_typehints = "description"
# {repo}`path`: a file of the repository that the site links to rather than copies (the
# changelog, spec/CHANGES.md, the benchmark figures and notes), on the project's Source URL.
extlinks = {"repo": (PYPROJECT["project"]["urls"]["Source"] + "/blob/main/%s", "%s")}
