"""Rendering graph pictures in the examples: always the DOT source, the picture when Graphviz's dot is there.

``render`` writes ``stem.gv`` and tries each format; a picture that cannot be rendered (no ``dot``)
is remembered in ``NOT_RENDERED`` so the example can say which ones are missing.
"""

from pathlib import Path

from tinygrad_sm.viz import INSTALL_HINT, GraphvizNotFound

NOT_RENDERED = []  # pictures that could not be rendered because the Graphviz program dot is missing


def render(graph, stem, formats=("svg", "png")):
    """Write ``stem.gv`` and ``stem.<format>`` for each format; return the pictures rendered."""
    stem = Path(stem)
    stem.parent.mkdir(parents=True, exist_ok=True)
    graph.save(stem.with_suffix(".gv"))
    rendered = []
    for fmt in formats:
        try:
            rendered.append(graph.render(outfile=stem.with_suffix("." + fmt), cleanup=False))
        except GraphvizNotFound:
            NOT_RENDERED.append(str(stem.with_suffix("." + fmt)))
    return rendered


def report_not_rendered(printer=print):
    """One paragraph naming the pictures that need Graphviz; nothing when every picture was rendered."""
    if not NOT_RENDERED:
        return
    printer(f"\nNot rendered, because the Graphviz program `dot` is missing ({len(NOT_RENDERED)} pictures; "
            "their DOT sources, the .gv files beside them, were written):")
    for path in NOT_RENDERED:
        printer(f"  {path}")
    printer(INSTALL_HINT)
