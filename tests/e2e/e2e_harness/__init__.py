"""The e2e harness: services, a generated project, its app instances and nginx, on loopback."""
