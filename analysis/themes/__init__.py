"""Themes: clustering the comments of one scope (a commitment, or ``none``) into labelled groups.

``themes`` (find and describe the themes of one scope), ``clusterer`` (the clustering estimator),
``phrase_labels`` (a short phrase from the comments as a label), ``no_argument`` (agreement and thanks kept
apart as the support group), ``scopes`` (every scope of a run) and ``keys`` (stable theme ids across runs).
"""
