"""The runtime suites (Node.js, custom runtimes) run in containers by the Docker backend."""
