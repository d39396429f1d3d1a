"""The category tree: /api/v1/categories (flat with depth and path, or as a tree)."""
