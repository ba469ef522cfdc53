"""evidence: check what health articles claim against the PubMed literature."""

__version__ = "0.1.0"
