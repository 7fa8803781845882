"""Pieces of ``crawler.importer``: reading and decoding a user's file, parsing it, writing it in one go."""
