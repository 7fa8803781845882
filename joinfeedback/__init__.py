"""joinfeedback: crawl, store, analyse and report public feedback from join.gov.tw."""

__version__ = "0.1.0"
