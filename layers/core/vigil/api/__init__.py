"""The HTTP edge: Powertools routers, auth and the one mapping of errors to responses."""
