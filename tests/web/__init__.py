"""The HTTP edge: the API's routes, Accept, the admin API, the dashboard, the request path's stage order."""
