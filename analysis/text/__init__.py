"""Text: normalising Traditional Chinese, segmenting it with jieba, and turning it into vectors.

``normalise`` (width, case, simplified to traditional through ``traditional``), ``segment`` (jieba with the
Traditional dictionary, the domain lexicon and a per-analysis word list; ``jieba_route``, ``lexicon`` and
``dictionary_cache`` serve it), ``features`` (TF-IDF over words and character n-grams) and ``embed`` with
``vector_cache`` (sentence vectors, cached on disk).
"""
