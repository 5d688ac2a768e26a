"""Helm charts as inputs: options, rendering with real Helm, and the map back to template lines."""
