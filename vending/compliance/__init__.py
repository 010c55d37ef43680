"""Compliance: service catalog, SCP generation and the effective-policy simulator."""
