"""Health endpoint, for load balancers and operators."""
