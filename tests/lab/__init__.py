"""A real router in the loop: Debian's miniupnpd in network namespaces (root only)."""
