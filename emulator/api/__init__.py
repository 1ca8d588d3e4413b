"""One thin router per AWS wire surface."""
