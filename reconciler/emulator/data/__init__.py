"""Data files shipped with the emulator (pruned REST spec, region table, demo seed)."""
