"""Test support shared by every service's tests: real infrastructure, throwaway databases, bus listeners.

Loaded as a pytest plugin by the root conftest. Nothing here is imported by running services.
"""
