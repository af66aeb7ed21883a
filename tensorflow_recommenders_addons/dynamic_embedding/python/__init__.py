"""Python side of dynamic_embedding: ops (tables, variables, optimizer) and
Keras layers."""
