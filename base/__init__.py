"""The shared base every stage may import: the error type, what may be shown, Taipei time, the cache folder
and the real site's address.

It imports nothing of the project, so that the crawler, storage, analysis, reports, the replica and the
command line can all stand on it without depending on each other.
"""
