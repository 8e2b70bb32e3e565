"""The evidence package writer and one renderer per report format."""
