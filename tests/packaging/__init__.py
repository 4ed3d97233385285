"""The package as users install it: built, installed into fresh virtualenvs, run from outside the checkout."""
