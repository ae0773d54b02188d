"""Test support for Charter and its add-ons (published as the ``charter`` pytest plugin)."""
