"""The shared base every stage may import: the error type, what may be shown, Taipei time, the cache folder,
the real site's address and a pause of the garbage collector for allocation-heavy work.

It imports nothing of the project, so that the crawler, storage, analysis, reports, the replica and the
command line can all stand on it without depending on each other.
"""
