"""The Excel exchange with the municipal bureau: templates, tolerant import, exports and packages (报送包)."""
