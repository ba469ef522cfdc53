"""Services: the operations the CLI and the web layer call, composed over sources and store."""
