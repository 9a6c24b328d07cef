"""Browser tests of the demo (run with ./script/test-browser)."""
