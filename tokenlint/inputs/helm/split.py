r"""Cut a template's rendered text into documents exactly as Helm does.

Helm never parses a rendered template as one YAML stream: ``releaseutil.SplitManifests``
cuts it with the regular expression ``(?:^|\s*\n)---\s*``, drops the empty pieces and
trims the rest, and ``helm template`` and ``helm install`` use those pieces. The two
readings differ where whitespace trimming glues a separator to the next text
(``{{- end -}}`` after a ``---`` line renders ``---# comment``): YAML sees one document
with a strange scalar, Helm sees two documents. tokenlint must lint what Helm installs,
so every rendered template goes through :func:`normalize` before it is parsed, and the
line maps to the template are built on the normalized text.
"""

from __future__ import annotations

import re

# Go's RE2 ``\s`` is ASCII only: tab, newline, form feed, carriage return and space.
_SEPARATOR = re.compile(r"(?:^|[\t\n\f\r ]*\n)---[\t\n\f\r ]*")
# Go's strings.TrimSpace trims what unicode.IsSpace accepts (Python's str.strip also
# strips the ASCII separators 0x1c-0x1f, which Go keeps).
_GO_SPACE = "\t\n\v\f\r \x85\xa0\u1680" + "".join(map(chr, range(0x2000, 0x200B))) + "\u2028\u2029\u202f\u205f\u3000"


def split_manifests(rendered: str) -> list[str]:
    """The documents Helm makes of one rendered template, in order.

    The same steps as ``releaseutil.SplitManifests``: trim the text, split it at each
    separator match, skip empty pieces and trim the others. A piece that is only
    whitespace becomes an empty manifest in Helm, which installs nothing; it is dropped
    here too.
    """
    pieces = _SEPARATOR.split(rendered.strip(_GO_SPACE))
    documents = (piece.strip(_GO_SPACE) for piece in pieces if piece)
    return [document for document in documents if document]


def normalize(rendered: str) -> str:
    """The rendered template as one YAML stream of Helm's documents, one ``---`` line
    between two of them; empty when Helm installs nothing from it."""
    return "---\n".join(f"{document}\n" for document in split_manifests(rendered))
