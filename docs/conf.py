"""Sphinx configuration of the Moa documentation (furo theme, MyST Markdown)."""

from __future__ import annotations

project = "Moa"
author = "The Moa developers"
copyright = "2026, The Moa developers"

extensions = ["myst_parser"]
myst_enable_extensions = ["colon_fence", "deflist"]
myst_heading_anchors = 3
source_suffix = {".md": "markdown"}
exclude_patterns = ["_build"]
html_theme = "furo"
html_title = "Moa"
# No intersphinx: the docs build offline (CI reaches package registries only).
