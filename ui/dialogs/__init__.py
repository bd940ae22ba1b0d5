"""Dialogs: the enterprise intake form, the enterprise detail view, record editors and the shared prompts."""
