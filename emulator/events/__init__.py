"""Pure translation between AWS event shapes and lambdock's own types."""
