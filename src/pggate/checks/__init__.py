"""The gates: a package per gate, a module per check id."""
