"""Rego policy bundles, the engines that evaluate them, and the fail-closed decision."""
