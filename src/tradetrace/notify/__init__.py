"""Sending alerts out: a Markdown digest, an Atom feed and a JSON webhook."""
