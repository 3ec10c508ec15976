"""Gallery Reconciler: declarative manifests for Azure Compute Gallery, planned and applied."""

__version__ = "0.1.0"
