"""Chinese full-text index over complaint title and description (docs/performance.md)."""
