"""Inputs: find files, read standard input, render Helm charts; each becomes a stream of bytes."""
