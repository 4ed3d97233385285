"""Staging and inspection: MockControl, MockAdmin and the scenario file."""
