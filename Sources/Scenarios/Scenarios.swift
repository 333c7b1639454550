// Placeholder; replaced as the Scenarios target grows.
