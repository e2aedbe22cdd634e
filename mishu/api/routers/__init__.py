"""One router per feature; each route is a few lines over the core services."""
