"""The import stage: a user's file (a comments CSV or join.gov.tw open-data JSON) into the database.

One entry point, ``import_file`` (``joinfeedback import``), all or nothing. What each module holds:

- ``run``: ``import_file`` and its ``ImportSummary``: read, decode, recognise the format, write;
- ``decoding``: reading the file and turning its bytes into text (BOMs, UTF-16, ``--encoding``);
- ``csv_items``: the comments CSV (``id,text,author,created_at,url``) into validated items;
- ``opendata_rows``: an open-data file into validated rows for the site's tables, read with the spiders'
  own parser of the open-data lists (``crawler.pages.opendata``);
- ``dates``: the date forms people and the site write (ISO, ``YYYY/MM/DD``, ROC years);
- ``problems``: the one-line errors, naming the file, then where in it, then what is wrong.

The SQL that writes an import in one transaction is ``storage.imports.write_import``.
"""

from crawler.importing.run import ImportSummary, import_file

__all__ = ["ImportSummary", "import_file"]
