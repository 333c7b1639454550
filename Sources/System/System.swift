// Placeholder; replaced as the System target grows.
