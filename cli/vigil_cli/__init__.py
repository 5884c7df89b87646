"""`vigil`: Vigil's command line (docs/cli.md). It speaks only Vigil's HTTP API."""
