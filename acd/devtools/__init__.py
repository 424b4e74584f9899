"""Tools around the engine, never called by it: config builders, the random-traffic stress worker,
the virtual-time simulator and the consistency audit (for tests, benchmarks and debugging)."""
