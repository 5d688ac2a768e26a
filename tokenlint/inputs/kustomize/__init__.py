"""Kustomize trees as inputs: find the roots, render each with real kustomize, locate findings.

A folder holding ``kustomization.yaml``, ``kustomization.yml`` or ``Kustomization`` is a
kustomization (:mod:`.tree`); one that no other kustomization of the input includes is a
root, rendered by kustomize (:mod:`.render`) and linted as a bundle of its own; findings
point into the base or the patch that wrote the value (:mod:`.origin`).
"""
