"""Front-end libraries served from the Python packages that ship them."""
