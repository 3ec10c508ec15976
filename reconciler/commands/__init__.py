"""One module per CLI command (group), each imported only when that command runs."""
