"""The domain: records, claims, vocabularies, views and errors. Imports nothing above it."""
