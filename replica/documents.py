"""The JSON documents the replica serves: built as plain dicts by ``replica.render_json``, read back by the
shape variants (``replica.shapes``) and the HTML pages (``replica.render_html``)."""

from __future__ import annotations

Document = dict[str, object]  # one JSON object, its keys in the order the site sends them


def documents(value: object) -> list[Document]:
    """A JSON array of objects (a board's messages, a proposal's responses), checked as such."""
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise TypeError(f"expected a list of JSON objects, got {type(value).__name__}")
    return value


__all__ = ["Document", "documents"]
