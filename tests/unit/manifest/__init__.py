"""Tests of the manifest language: loading, merging, rules, schema and the desired-state builder."""
