"""Parsers, one per page type the crawler reads: a response or a document in, typed items out (no requests,
no storage). Spiders, ``crawl --check`` and the import stage all read pages through them."""
