"""Read queries of the report stage, one module per report they serve; everything here only reads.

- ``runs``: the stored analysis run every page shows (run, catalogue, assignments, themes, campaigns);
- ``items``: the run's items as quotes, exports and charts need them (texts, dates, engagement);
- ``consultations``: the overview and consultation pages (consultations, agency replies, stored totals);
- ``proposals``: the proposals page (proposals, agency responses, endorsement snapshots);
- ``exports``: the ``export`` command's comments, proposals and responses.

Rows come back as small frozen dataclasses (a run's rows: ``storage.run_rows``), so that ``reports/``
never touches SQLAlchemy objects or sessions beyond the one it is handed.
"""
