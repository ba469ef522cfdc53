"""Reports: render what is stored for a claim set as HTML, Markdown, CSV and JSON.

Entry points live in :mod:`evidence.report.writer` (``write_report``, ``export_json``);
the data they render comes from :func:`evidence.store.reads.load_report`.
"""
