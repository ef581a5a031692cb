"""Hostile input, filesystems, signals and endpoints: kg refuses cleanly and fetches nothing."""
