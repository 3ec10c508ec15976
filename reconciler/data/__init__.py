"""Data files shipped with the package (the Azure region table)."""
