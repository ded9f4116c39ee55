"""What the operator commands do, one module per command family."""
