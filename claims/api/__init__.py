"""JSON endpoints that call the same services as the pages."""
