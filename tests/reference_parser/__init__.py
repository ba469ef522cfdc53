"""The efetch parser as it was before the single-pass rewrite (ElementPath lookups).

A frozen copy of ``evidence/sources/pubmed_xml/{xmltext,fields,parser}.py`` at commit
6def892, kept only as the oracle of ``tests/test_parser_fast.py``: the production parser
must give exactly the records this one gives. Do not change it to follow the parser.
"""
