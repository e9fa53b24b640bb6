"""Prompts as package files, loaded by prompts.loader."""
