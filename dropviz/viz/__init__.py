"""Figure builders: arrays in, ``go.Figure`` out; no Streamlit (one module per page or view).

Text convention: a builder takes every text it shows (titles, axis titles, legend names, run
names) in one ``labels: Mapping[str, str] | None`` argument, already translated, keyed by short
ids and merged over the module's English defaults (``DEFAULT_LABELS``, or one
``<BUILDER>_LABELS`` per builder in ``math_figures`` and ``lecture_figures``), so a caller passes
only what it translates and a key it leaves out shows in English. Text that is data stays an
ordinary argument: class names, per-example captions, per-point labels, and per-panel titles
whose number follows the data (``inference.scaling_comparison_figure``'s and
``uncertainty_plane``'s ``titles``, ``playground.boundary_figure``'s ``titles`` per run).
"""
