"""The trash: deleted subtrees kept restorable until purged (by hand or after retention)."""
