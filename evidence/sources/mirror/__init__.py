"""A local PubMed mirror (NLM's baseline and update files) as a second Source."""
