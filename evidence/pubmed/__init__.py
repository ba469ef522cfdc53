"""PubMed: the E-utilities client and the efetch XML parser."""
