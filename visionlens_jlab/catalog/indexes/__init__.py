"""Floor 5: in-memory indexes (box index, field columns, tag lists) and the warmer that rebuilds them after writes. Imports the floors below."""
