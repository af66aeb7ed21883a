"""Tables, creators, variables, lookups and the optimizer wrapper."""
