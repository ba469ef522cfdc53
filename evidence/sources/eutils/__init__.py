"""NCBI E-utilities: the client, its HTTP transport, pacing and slicing."""
