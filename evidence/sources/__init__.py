"""Where studies come from: the Source protocol and its implementations."""
