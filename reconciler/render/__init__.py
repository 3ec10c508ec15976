"""Renderers: a Plan (or apply results) in to text for people, Markdown for pull requests, JSON for tools."""
