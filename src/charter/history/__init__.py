"""History: every content change kept as a revision, and redirects from where nodes were."""
