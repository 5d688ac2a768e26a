"""Kubernetes resources built from positioned documents: identity, namespace, origin."""
