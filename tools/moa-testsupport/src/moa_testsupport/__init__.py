"""Test support shared by the Moa packages' test suites (internal)."""
