// Placeholder; replaced as the SimHarness target grows.
