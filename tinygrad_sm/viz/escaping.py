"""Text a picture embeds (names, op names, rules, symbols, titles), made safe for where it goes.

A tensor's name is any string a user chose, or any object (``name=123``). Each context has its
own dangerous characters: ``<`` and ``&`` in HTML and SVG, a backslash or a quote in a DOT string,
``</script>`` or ``<!--`` in a script block, a lone surrogate (``"\\ud800"``) anywhere UTF-8 is
written, a control character in XML (where it is not allowed at all).
"""

import html
import json
import re

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")


def printable(text):
    """``str(text)`` with control characters shown as ``\\x01`` and lone surrogates as U+FFFD (valid UTF-8 and XML)."""
    text = _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", str(text))
    return _SURROGATE.sub("\ufffd", text)


def html_text(text):
    """Text for HTML, SVG/XML or a Graphviz HTML-like label: printable, with ``& < > " '`` as entities."""
    return html.escape(printable(text), quote=True)


def dot_string(text):
    """Text for inside a double-quoted DOT string: as ``html_text`` (Graphviz reads entities), backslashes doubled."""
    return html_text(text).replace("\\", "\\\\")


def script_json(data):
    """JSON for a ``<script type="application/json">`` block: ``<``, ``>``, ``&`` and non-ASCII as \\u escapes.

    No ``</script>`` or ``<!--`` can then end or change the block, and a lone surrogate stays a
    valid escape (JSON.parse turns it back into the same string).
    """
    text = json.dumps(data, ensure_ascii=True, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
