"""Command groups of the `gradchain` CLI, one module each."""
