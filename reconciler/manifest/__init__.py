"""Manifests: loading YAML trees, checking them, and building the desired-state model from them."""

from reconciler.manifest.build import build_desired_state
from reconciler.manifest.bundle import ManifestBundle
from reconciler.manifest.loader import API_VERSION, load_manifests

__all__ = ["API_VERSION", "ManifestBundle", "build_desired_state", "load_manifests"]
