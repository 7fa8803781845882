"""Copies: near-duplicate texts (``finder``) and the form-letter campaigns they form (``campaigns``)."""
