"""The PubMed XML parser: pure, shared by every source that reads PubMed XML."""
