"""Vigil core: domain logic, use cases and AWS adapters, shipped as the Lambda layer."""

__version__ = "0.1.0"
