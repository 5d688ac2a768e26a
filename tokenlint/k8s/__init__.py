"""Kubernetes semantics shared by rules, each module tested on its own."""
