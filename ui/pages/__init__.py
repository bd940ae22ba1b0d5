"""The pages of the main window, one module per navigation entry that has its own content."""
