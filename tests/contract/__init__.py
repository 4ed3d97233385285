"""The client contract suite, its reports and the pytest plugin."""
