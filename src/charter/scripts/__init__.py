"""Command-line tools for administrators."""
