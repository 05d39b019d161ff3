"""The params loader: defaults, the quarter's overrides, and their validation."""
