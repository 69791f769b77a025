"""Loaders for sanctions lists, each into the one ``list_entries`` model (see ``model``)."""
