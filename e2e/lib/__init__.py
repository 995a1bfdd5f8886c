"""Building blocks of the end-to-end tests: child processes, polling, HTTP, manifests."""
